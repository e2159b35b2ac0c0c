package io.minibit.peer.download;

import static io.minibit.core.testing.MinibitAssertions.assertReason;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.core.ErrorCode;
import io.minibit.core.ErrorReason;
import io.minibit.core.MinibitException;
import io.minibit.core.grpc.ErrorMappingInterceptor;
import java.io.IOException;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** How a download reports a block it could not write: a full disk is told apart. */
class WriteFailureTest {
  @ParameterizedTest
  @ValueSource(strings = {"No space left on device", "Disk quota exceeded"})
  void aFullDiskIsDiskFullForTheClient(String error) {
    MinibitException failure = Download.writeFailure("big.iso", new IOException(error));

    // as the Download stream ends with it (ProgressStream)
    assertReason(ErrorReason.DISK_FULL, ErrorMappingInterceptor.toStatusException(failure));
    assertTrue(failure.getMessage().startsWith("the disk is full: cannot write big.iso"),
        failure.getMessage());
  }

  @Test
  void anotherWriteErrorHasNoReason() {
    MinibitException failure =
        Download.writeFailure("big.iso", new IOException("Input/output error"));

    assertEquals(ErrorCode.FAILED_PRECONDITION, failure.code());
    assertEquals(Optional.empty(),
        ErrorReason.of(ErrorMappingInterceptor.toStatusException(failure)));
  }
}
