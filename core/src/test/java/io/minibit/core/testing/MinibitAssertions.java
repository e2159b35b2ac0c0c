package io.minibit.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.minibit.core.ErrorCode;
import io.minibit.core.MinibitException;
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
}
