package io.minibit.core.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.grpc.KnownLength;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A message's bytes, read whole whether or not its stream says how many there are. */
class RawBytesTest {
  private static byte[] message(int size) {
    byte[] bytes = new byte[size];
    new Random(size).nextBytes(bytes);
    return bytes;
  }

  /** A stream that says it holds {@code said} bytes, and gives them a few at a time. */
  private static final class Said extends ByteArrayInputStream implements KnownLength {
    private final int said;

    Said(byte[] bytes, int said) {
      super(bytes);
      this.said = said;
    }

    @Override
    public synchronized int available() {
      return Math.min(said, super.available());
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) {
      return super.read(b, off, Math.min(len, 7));
    }
  }

  @Test
  void aStreamOfKnownLengthIsReadWhole() {
    byte[] message = message(1_000);
    assertArrayEquals(message, RawBytes.INSTANCE.parse(new Said(message, message.length)));
    assertArrayEquals(new byte[0], RawBytes.INSTANCE.parse(new Said(new byte[0], 0)));
  }

  @Test
  void aStreamThatSaysTooLittleOrNothingIsStillReadWhole() {
    byte[] message = message(20_000);
    assertArrayEquals(message, RawBytes.INSTANCE.parse(new Said(message, 100)));
    assertArrayEquals(message, RawBytes.INSTANCE.parse(new ByteArrayInputStream(message)));
  }

  @Test
  void theStreamOfAMessageTellsItsLength() throws Exception {
    byte[] message = message(300);
    InputStream stream = RawBytes.INSTANCE.stream(message);
    assertInstanceOf(KnownLength.class, stream);
    assertEquals(300, stream.available());
    assertArrayEquals(message, stream.readAllBytes());
  }
}
