package io.minibit.core.grpc;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.minibit.core.MinibitException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Turns exceptions thrown by service methods into statuses: a {@link MinibitException} keeps its
 * code and message, and its {@link io.minibit.core.ErrorReason} in the status details; a {@link
 * StatusRuntimeException} keeps its status and trailers; anything else becomes INTERNAL with a
 * short message and a logged stack trace, so a caller never sees a stack trace and a bug never
 * goes unnoticed. Every description sent is cut to {@value #MAX_DESCRIPTION_CHARS} characters
 * (the reasons' messages, in the details too, are short by construction).
 */
public final class ErrorMappingInterceptor implements ServerInterceptor {
  private static final Logger log = Logger.getLogger(ErrorMappingInterceptor.class.getName());

  /**
   * Longest status description sent, in characters: a message that quotes a caller's oversized
   * input must not grow the trailers past what a client accepts (8 KiB by default, after
   * percent-encoding, which can triple non-ASCII text).
   */
  static final int MAX_DESCRIPTION_CHARS = 1000;

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> original, Metadata headers, ServerCallHandler<Q, R> next) {
    ServerCall<Q, R> call = new SimpleForwardingServerCall<>(original) {
      @Override
      public void close(Status status, Metadata trailers) {
        super.close(shortened(status), trailers);
      }
    };
    ServerCall.Listener<Q> delegate;
    try {
      delegate = next.startCall(call, headers);
    } catch (RuntimeException e) {
      close(call, e);
      return new ServerCall.Listener<>() {};
    }
    return new SimpleForwardingServerCallListener<>(delegate) {
      @Override
      public void onMessage(Q message) {
        try {
          super.onMessage(message);
        } catch (RuntimeException e) {
          close(call, e);
        }
      }

      @Override
      public void onHalfClose() {
        try {
          super.onHalfClose();
        } catch (RuntimeException e) {
          close(call, e);
        }
      }

      @Override
      public void onReady() {
        try {
          super.onReady();
        } catch (RuntimeException e) {
          close(call, e);
        }
      }
    };
  }

  /** The status a failure travels as (without its details: see {@link #toStatusException}). */
  public static Status toStatus(Throwable e) {
    return toStatusException(e).getStatus();
  }

  /**
   * What a call that failed with {@code e} ends with: the status, and trailers with the
   * failure's reason if it has one. For a stream's {@code onError}.
   */
  public static StatusRuntimeException toStatusException(Throwable e) {
    if (e instanceof MinibitException m) {
      return m.toStatusException();
    }
    if (e instanceof StatusRuntimeException s) {
      return s;
    }
    log.log(Level.SEVERE, "unexpected failure in a call", e);
    return Status.INTERNAL.withDescription("internal error (" + e.getClass().getSimpleName()
        + "); the server log has the details").asRuntimeException();
  }

  private static Status shortened(Status status) {
    String description = status.getDescription();
    if (description == null || description.length() <= MAX_DESCRIPTION_CHARS) {
      return status;
    }
    return status.withDescription(description.substring(0, MAX_DESCRIPTION_CHARS) + "...");
  }

  private static void close(ServerCall<?, ?> call, RuntimeException e) {
    StatusRuntimeException failure = toStatusException(e);
    Metadata trailers = failure.getTrailers() == null ? new Metadata() : failure.getTrailers();
    try {
      call.close(failure.getStatus(), trailers);
    } catch (IllegalStateException alreadyClosed) {
      log.log(Level.FINE, "call already closed when it failed", e);
    }
  }
}
