package io.minibit.peer.download;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Detachable;
import io.grpc.HasByteBuffer;
import io.grpc.StatusRuntimeException;
import io.minibit.api.v2.GetBlocksResponse;
import io.minibit.core.testing.TestFiles;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Blocks parsed off gRPC's message stream, in place where the stream allows it. */
class ReceivedBlockTest {
  private static final ReceivedBlock.Marshaller MARSHALLER = new ReceivedBlock.Marshaller();

  private static byte[] message(int index, byte[] data) {
    return GetBlocksResponse.newBuilder().setIndex(index).setData(ByteString.copyFrom(data)).build()
        .toByteArray();
  }

  private static byte[] joined(ByteBuffer[] parts) {
    int length = Arrays.stream(parts).mapToInt(ByteBuffer::remaining).sum();
    ByteBuffer all = ByteBuffer.allocate(length);
    for (ByteBuffer part : parts) {
      all.put(part.duplicate());
    }
    return all.array();
  }

  @Test
  void aPlainStreamIsParsedByCopying() {
    byte[] data = TestFiles.randomBytes(40_000, 1);

    try (ReceivedBlock block = ReceivedBlock.parse(message(77, data))) {
      assertEquals(77, block.index());
      assertEquals(40_000, block.length());
      assertArrayEquals(data, joined(block.data()));
    }
  }

  @Test
  void aStreamOfNetworkBuffersIsReadInPlaceAndHeldUntilClosed() throws Exception {
    byte[] data = TestFiles.randomBytes(100_000, 2);
    PooledStream stream = new PooledStream(message(3, data), 4096);

    ReceivedBlock block = MARSHALLER.parse(stream);

    assertEquals(3, block.index());
    assertTrue(block.data().length > 1, "the data stays in the stream's buffers");
    assertTrue(Arrays.stream(block.data()).allMatch(ByteBuffer::isDirect));
    assertArrayEquals(data, joined(block.data()), "no buffer went back to the pool too early");
    block.close();
    assertTrue(stream.closed, "closing the block gives the buffers back");
  }

  @Test
  void unknownFieldsAreSkipped() {
    byte[] data = TestFiles.randomBytes(1000, 3);
    byte[] known = message(9, data);
    // field 15, varint 300, then the known fields
    byte[] withUnknown = new byte[known.length + 3];
    withUnknown[0] = (byte) (15 << 3);
    withUnknown[1] = (byte) 0xac;
    withUnknown[2] = 0x02;
    System.arraycopy(known, 0, withUnknown, 3, known.length);

    try (ReceivedBlock block = ReceivedBlock.parse(withUnknown)) {
      assertEquals(9, block.index());
      assertArrayEquals(data, joined(block.data()));
    }
  }

  @Test
  void aMessageCutShortIsAnError() throws Exception {
    byte[] whole = message(1, TestFiles.randomBytes(10_000, 4));
    PooledStream stream = new PooledStream(Arrays.copyOf(whole, 5000), 1024);

    assertThrows(StatusRuntimeException.class, () -> MARSHALLER.parse(stream));
    assertTrue(stream.closed, "the buffers are given back on failure too");
  }

  /**
   * gRPC's inbound message stream as the network leaves it: direct buffers of {@code chunk}
   * bytes that go back to the pool, and are overwritten, once read past, unless the stream was
   * marked; they stay until close when it was.
   */
  private static final class PooledStream extends InputStream implements Detachable,
      HasByteBuffer {
    private final List<ByteBuffer> buffers = new ArrayList<>();
    private int current;
    private boolean marked;
    boolean closed;

    PooledStream(byte[] bytes, int chunk) {
      for (int at = 0; at < bytes.length; at += chunk) {
        int length = Math.min(chunk, bytes.length - at);
        ByteBuffer buffer = ByteBuffer.allocateDirect(length);
        buffer.put(bytes, at, length).flip();
        buffers.add(buffer);
      }
    }

    private void advance() {
      while (current < buffers.size() && !buffers.get(current).hasRemaining()) {
        if (!marked) {
          ByteBuffer released = buffers.get(current);
          released.clear();
          while (released.hasRemaining()) {
            released.put((byte) 0x5a); // reused for someone else's bytes
          }
          released.position(released.limit());
        }
        current++;
      }
    }

    @Override
    public int read() {
      advance();
      if (current == buffers.size()) {
        return -1;
      }
      int b = buffers.get(current).get() & 0xff;
      advance();
      return b;
    }

    @Override
    public long skip(long n) {
      advance();
      if (current == buffers.size()) {
        return 0;
      }
      ByteBuffer buffer = buffers.get(current);
      int skipped = (int) Math.min(n, buffer.remaining());
      buffer.position(buffer.position() + skipped);
      advance();
      return skipped;
    }

    @Override
    public boolean markSupported() {
      return true;
    }

    @Override
    public void mark(int limit) {
      marked = true;
    }

    @Override
    public boolean byteBufferSupported() {
      return true;
    }

    @Override
    public ByteBuffer getByteBuffer() {
      advance();
      return current == buffers.size() ? null : buffers.get(current).slice();
    }

    @Override
    public InputStream detach() {
      return this;
    }

    @Override
    public void close() {
      closed = true;
    }
  }
}
