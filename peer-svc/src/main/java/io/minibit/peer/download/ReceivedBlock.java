package io.minibit.peer.download;

import io.grpc.Detachable;
import io.grpc.HasByteBuffer;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.minibit.api.v2.GetBlocksResponse;
import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A Block message as it arrived: its index, and its data as views of the buffers the network
 * read it into, which this object holds until {@link #close}. A 256 KiB block is then hashed
 * and written to disk without a copy in between (parsed as a protobuf message it would be copied
 * three times: into a parse buffer, into the message, and into the file channel's own buffer).
 *
 * <p>Not thread-safe: one call's observer owns it, and closes it once the block is written.
 */
final class ReceivedBlock implements Closeable {
  private static final int INDEX_FIELD = 1;
  private static final int DATA_FIELD = 2;

  private final int index;
  private final ByteBuffer[] data;
  private final Closeable release;

  private ReceivedBlock(int index, ByteBuffer[] data, Closeable release) {
    this.index = index;
    this.data = data;
    this.release = release;
  }

  int index() {
    return index;
  }

  /** The block's bytes, one part after the other. */
  ByteBuffer[] data() {
    return data;
  }

  int length() {
    int length = 0;
    for (ByteBuffer part : data) {
      length += part.remaining();
    }
    return length;
  }

  /** Gives the network buffers back. */
  @Override
  public void close() {
    try {
      release.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** GetBlocks as its callers see it: Block responses parsed into ReceivedBlocks. */
  static MethodDescriptor<io.minibit.api.v2.GetBlocksRequest, ReceivedBlock> method() {
    return Holder.METHOD;
  }

  private static final class Holder {
    static final MethodDescriptor<io.minibit.api.v2.GetBlocksRequest, ReceivedBlock> METHOD =
        io.minibit.api.v2.PeerServiceGrpc.getGetBlocksMethod().toBuilder(
            io.grpc.protobuf.ProtoUtils.marshaller(
                io.minibit.api.v2.GetBlocksRequest.getDefaultInstance()),
            new Marshaller()).build();
  }

  /**
   * Reads the GetBlocksResponse wire format (field 1: varint index; field 2: length-delimited
   * data; others skipped) off gRPC's message stream, keeping the data in place when the stream
   * can hand its buffers over, and copying it once otherwise.
   */
  static final class Marshaller implements MethodDescriptor.Marshaller<ReceivedBlock> {
    @Override
    public InputStream stream(ReceivedBlock value) {
      throw new UnsupportedOperationException("blocks are only received here");
    }

    @Override
    public ReceivedBlock parse(InputStream stream) {
      try {
        if (stream instanceof Detachable detachable && stream instanceof HasByteBuffer buffers
            && buffers.byteBufferSupported()) {
          InputStream detached = detachable.detach();
          // Marked, the stream keeps every buffer it has read past until it is closed: without
          // the mark, a buffer skipped over goes back to the pool while our views still point
          // into it.
          detached.mark(Integer.MAX_VALUE);
          try {
            return parse(detached, (HasByteBuffer) detached, detached);
          } catch (IOException | RuntimeException e) {
            detached.close();
            throw e;
          }
        }
        byte[] bytes = stream.readAllBytes();
        GetBlocksResponse block = GetBlocksResponse.parseFrom(bytes);
        return new ReceivedBlock(block.getIndex(),
            new ByteBuffer[] {block.getData().asReadOnlyByteBuffer()}, () -> { });
      } catch (IOException e) {
        throw Status.INTERNAL.withDescription("cannot parse a GetBlocksResponse: " + e.getMessage())
            .withCause(e).asRuntimeException();
      }
    }

    private static ReceivedBlock parse(InputStream in, HasByteBuffer buffers, Closeable release)
        throws IOException {
      int index = 0;
      List<ByteBuffer> data = new ArrayList<>(4);
      long tag;
      while ((tag = readVarint(in, true)) >= 0) {
        int field = (int) (tag >>> 3);
        int wireType = (int) (tag & 7);
        if (field == INDEX_FIELD && wireType == 0) {
          index = (int) readVarint(in, false);
        } else if (field == DATA_FIELD && wireType == 2) {
          data.clear();
          long remaining = readVarint(in, false);
          while (remaining > 0) {
            ByteBuffer next = buffers.getByteBuffer();
            if (next == null || !next.hasRemaining()) {
              throw new IOException("the data field is cut short");
            }
            int take = (int) Math.min(remaining, next.remaining());
            ByteBuffer part = next.slice();
            part.limit(take);
            data.add(part);
            skipFully(in, take);
            remaining -= take;
          }
        } else {
          skipField(in, wireType);
        }
      }
      return new ReceivedBlock(index, data.toArray(new ByteBuffer[0]), release);
    }

    /** A varint; -1 at the end of the stream if {@code endAllowed}. */
    private static long readVarint(InputStream in, boolean endAllowed) throws IOException {
      long value = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        int b = in.read();
        if (b < 0) {
          if (endAllowed && shift == 0) {
            return -1;
          }
          throw new IOException("a varint is cut short");
        }
        value |= (long) (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          return value;
        }
      }
      throw new IOException("a varint is too long");
    }

    private static void skipField(InputStream in, int wireType) throws IOException {
      switch (wireType) {
        case 0 -> readVarint(in, false);
        case 1 -> skipFully(in, 8);
        case 2 -> skipFully(in, readVarint(in, false));
        case 5 -> skipFully(in, 4);
        default -> throw new IOException("unknown wire type " + wireType);
      }
    }

    private static void skipFully(InputStream in, long count) throws IOException {
      long left = count;
      while (left > 0) {
        long skipped = in.skip(left);
        if (skipped <= 0) {
          throw new IOException("the message is cut short");
        }
        left -= skipped;
      }
    }
  }

  /** For tests: the same parse over plain bytes. */
  static ReceivedBlock parse(byte[] message) {
    return new Marshaller().parse(new ByteArrayInputStream(message));
  }
}
