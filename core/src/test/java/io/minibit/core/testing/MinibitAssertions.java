package io.minibit.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.minibit.core.ErrorCode;
import io.minibit.core.ErrorReason;
import io.minibit.core.MinibitException;
import java.util.List;
import org.junit.jupiter.api.function.Executable;

/** Assertions on MiniBit's failures: the domain exception and the gRPC status it travels as. */
public final class MinibitAssertions {
  private MinibitAssertions() {}

  /** Asserts that {@code call} throws a {@link MinibitException} with {@code code}; returns it. */
  public static MinibitException assertFailsWith(ErrorCode code, Executable call) {
    MinibitException e = assertThrows(MinibitException.class, call);
    assertEquals(code, e.code(), () -> "wrong code for: " + e.getMessage());
    return e;
  }

  /** Asserts that {@code call} fails with a gRPC status of {@code code}; returns the status. */
  public static Status assertStatus(Status.Code code, Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    assertEquals(code, e.getStatus().getCode(), () -> "wrong status: " + e.getStatus());
    return e.getStatus();
  }

  /**
   * Asserts that {@code call} fails with the code of {@code reason} and, in its status details,
   * one ErrorInfo of MiniBit's domain with that reason, read as any gRPC client would (with
   * {@link StatusProto#fromThrowable}); returns the ErrorInfo.
   */
  public static ErrorInfo assertReason(ErrorReason reason, Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    return assertReason(reason, e);
  }

  /** Asserts that {@code failure} carries {@code reason} as above; returns the ErrorInfo. */
  public static ErrorInfo assertReason(ErrorReason reason, Throwable failure) {
    com.google.rpc.Status status = StatusProto.fromThrowable(failure);
    assertTrue(status != null, () -> "not a gRPC failure: " + failure);
    assertEquals(reason.code().statusCode().value(), status.getCode(),
        () -> "wrong status: " + failure);
    List<ErrorInfo> infos = status.getDetailsList().stream()
        .filter(d -> d.is(ErrorInfo.class)).map(MinibitAssertions::unpack).toList();
    assertEquals(1, infos.size(), () -> "one ErrorInfo expected in " + status);
    assertEquals(ErrorReason.DOMAIN, infos.get(0).getDomain());
    assertEquals(reason.name(), infos.get(0).getReason(), () -> "wrong reason in " + status);
    assertEquals(status.getMessage(), Status.fromThrowable(failure).getDescription(),
        "the details repeat the message");
    return infos.get(0);
  }

  private static ErrorInfo unpack(Any detail) {
    try {
      return detail.unpack(ErrorInfo.class);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("a garbled ErrorInfo", e);
    }
  }
}
