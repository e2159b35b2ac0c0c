package io.minibit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The hand-written ErrorInfo against the generated one, both ways. */
class ErrorInfoWireTest {
  private static ErrorInfo generated(String reason, String domain, Map<String, String> metadata) {
    return ErrorInfo.newBuilder().setReason(reason).setDomain(domain).putAllMetadata(metadata)
        .build();
  }

  @Test
  void packsTheBytesThatAnyPackWritesForTheGeneratedMessage() {
    for (Map<String, String> metadata : java.util.List.of(Map.<String, String>of(),
        Map.of("limit", "unread_seconds"), Map.of("", ""), Map.of("ключ", "värde ✓"))) {
      assertEquals(Any.pack(generated("OVER_LIMIT", "minibit.io", metadata)),
          ErrorInfoWire.pack("OVER_LIMIT", "minibit.io", metadata));
    }
    assertEquals(Any.pack(ErrorInfo.getDefaultInstance()), ErrorInfoWire.pack("", "", Map.of()));
  }

  @Test
  void theGeneratedMessageReadsWhatIsPacked() throws Exception {
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("limit", "blocks_per_call");
    metadata.put("max", "64");
    metadata.put("long", "x".repeat(300)); // a length past one varint byte
    Any packed = ErrorInfoWire.pack("CHOKED", "minibit.io", metadata);

    assertTrue(packed.is(ErrorInfo.class));
    assertEquals(generated("CHOKED", "minibit.io", metadata), packed.unpack(ErrorInfo.class));
  }

  @Test
  void unpacksWhatTheGeneratedMessageWrites() {
    ErrorInfo info = generated("BLOCK_NOT_HELD", "minibit.io", Map.of("a", "1", "b", "2"));

    assertEquals(Optional.of(new ErrorInfoWire.Info("BLOCK_NOT_HELD", "minibit.io")),
        ErrorInfoWire.unpack(Any.pack(info)));
    // The type URL's host is not part of the type.
    assertEquals(Optional.of(new ErrorInfoWire.Info("BLOCK_NOT_HELD", "minibit.io")),
        ErrorInfoWire.unpack(Any.pack(info, "example.com")));
    // Fields in another order, and one it does not know of, as a newer sender may write.
    ByteString reordered = ErrorInfo.newBuilder().setDomain("minibit.io").build().toByteString()
        .concat(Duration.newBuilder().setSeconds(7).build().toByteString()) // field 1 varint
        .concat(ErrorInfo.newBuilder().setReason("DISK_FULL").build().toByteString());
    assertEquals(Optional.of(new ErrorInfoWire.Info("DISK_FULL", "minibit.io")),
        ErrorInfoWire.unpack(Any.newBuilder().setTypeUrl(ErrorInfoWire.TYPE_URL)
            .setValue(reordered).build()));
  }

  @Test
  void anotherTypeOrGarbledBytesAreNoErrorInfo() {
    assertEquals(Optional.empty(),
        ErrorInfoWire.unpack(Any.pack(Duration.newBuilder().setSeconds(1).build())));
    assertEquals(Optional.empty(), ErrorInfoWire.unpack(Any.newBuilder()
        .setTypeUrl("type.googleapis.com/google.rpc.ErrorInfoX").build()));
    // A type URL without a slash names no type, as Any.is reads it.
    Any noSlash = Any.newBuilder().setTypeUrl("google.rpc.ErrorInfo")
        .setValue(ErrorInfo.newBuilder().setReason("CHOKED").build().toByteString()).build();
    assertEquals(noSlash.is(ErrorInfo.class), ErrorInfoWire.unpack(noSlash).isPresent());
    for (byte[] garbled : new byte[][] {
        {0x0a, 0x05, 'a'}, // a length past the end
        {0x0c}, // an end-group tag with no group open
        {0x0a, 0x02, (byte) 0xc3, 0x28}}) { // not UTF-8
      assertEquals(Optional.empty(), ErrorInfoWire.unpack(Any.newBuilder()
          .setTypeUrl(ErrorInfoWire.TYPE_URL).setValue(ByteString.copyFrom(garbled)).build()),
          () -> "bytes " + java.util.Arrays.toString(garbled));
    }
  }

  @Test
  void aReasonTravelsThroughAStatusBothWays() {
    MinibitException failure = new MinibitException(ErrorReason.OVER_LIMIT,
        Map.of("limit", "unread_seconds", "max", "30"), "too slow");

    com.google.rpc.Status status = StatusProto.fromThrowable(failure.toStatusException());
    assertEquals(Status.Code.RESOURCE_EXHAUSTED.value(), status.getCode());
    assertEquals("too slow", status.getMessage());
    assertEquals(Optional.of(ErrorReason.OVER_LIMIT),
        ErrorReason.of(failure.toStatusException()));

    com.google.rpc.Status foreign = com.google.rpc.Status.newBuilder()
        .setCode(Status.Code.FAILED_PRECONDITION.value())
        .addDetails(Any.pack(generated("BLOCK_NOT_HELD", "elsewhere.example", Map.of())))
        .addDetails(Any.pack(generated("BLOCK_NOT_HELD", ErrorReason.DOMAIN, Map.of())))
        .build();
    assertEquals(Optional.of(ErrorReason.BLOCK_NOT_HELD),
        ErrorReason.of(StatusProto.toStatusRuntimeException(foreign)));
  }
}
