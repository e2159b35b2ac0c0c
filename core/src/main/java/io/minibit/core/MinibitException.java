package io.minibit.core;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * A failure with a code a caller can branch on and a message a person can read. The gRPC layer
 * turns it into a {@link Status} with the same code and message.
 */
public final class MinibitException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;

  public MinibitException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  public MinibitException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public static MinibitException invalid(String format, Object... args) {
    return new MinibitException(ErrorCode.INVALID_ARGUMENT, String.format(format, args));
  }

  public static MinibitException notFound(String format, Object... args) {
    return new MinibitException(ErrorCode.NOT_FOUND, String.format(format, args));
  }

  public ErrorCode code() {
    return code;
  }

  public Status toStatus() {
    return Status.fromCode(code.statusCode()).withDescription(getMessage());
  }

  public StatusRuntimeException toStatusException() {
    return toStatus().asRuntimeException();
  }
}
