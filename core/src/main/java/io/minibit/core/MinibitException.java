package io.minibit.core;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.Map;
import java.util.Optional;

/**
 * A failure with a code a caller can branch on and a message a person can read, and, where the
 * code alone is ambiguous, an {@link ErrorReason}. The gRPC layer turns it into a {@link Status}
 * with the same code and message; a reason travels beside them as a {@code google.rpc.ErrorInfo}.
 */
public final class MinibitException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;
  private final ErrorReason reason;
  private final Map<String, String> metadata;

  public MinibitException(ErrorCode code, String message) {
    this(code, null, Map.of(), message, null);
  }

  public MinibitException(ErrorCode code, String message, Throwable cause) {
    this(code, null, Map.of(), message, cause);
  }

  /**
   * A failure for {@code reason}, with its code; {@code metadata} (short keys and values) goes
   * into the ErrorInfo for a client that acts on it.
   */
  public MinibitException(ErrorReason reason, Map<String, String> metadata, String message) {
    this(reason.code(), reason, metadata, message, null);
  }

  public MinibitException(ErrorReason reason, Map<String, String> metadata, String message,
      Throwable cause) {
    this(reason.code(), reason, metadata, message, cause);
  }

  private MinibitException(ErrorCode code, ErrorReason reason, Map<String, String> metadata,
      String message, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.reason = reason;
    this.metadata = Map.copyOf(metadata);
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

  public Optional<ErrorReason> reason() {
    return Optional.ofNullable(reason);
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  /** The code and message; {@link #toStatusException()} also carries the reason. */
  public Status toStatus() {
    return Status.fromCode(code.statusCode()).withDescription(getMessage());
  }

  /** The failure as a call ends with it: code, message and, if it has one, the reason. */
  public StatusRuntimeException toStatusException() {
    if (reason == null) {
      return toStatus().asRuntimeException();
    }
    return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
        .setCode(code.statusCode().value())
        .setMessage(getMessage())
        .addDetails(ErrorInfoWire.pack(reason.name(), ErrorReason.DOMAIN, metadata))
        .build());
  }
}
