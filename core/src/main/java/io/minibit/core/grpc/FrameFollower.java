package io.minibit.core.grpc;

import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;

/**
 * Follows the length-prefixed units a client connection reads (HTTP/2 frames in plaintext, TLS
 * records under TLS), to tell how many more bytes are sure to arrive before the one under way is
 * whole: see {@link #wantedMark}. Nothing can be done with a partial unit (the HTTP/2 decoder
 * waits for a whole frame, TLS for a whole record), and nothing behind it on the wire can come
 * sooner. It reads only the headers, never moving a buffer's indices; a length over the
 * protocol's limit (which the connection's decoder rejects anyway) stops it for good. Not
 * thread-safe: one connection's event loop feeds it.
 */
final class FrameFollower {
  /** Remainders smaller than this are not worth a system call: the mark stays at one byte. */
  static final int MIN_MARK = 4 * 1024;

  /** How a protocol frames its bytes. */
  enum Framing {
    /** HTTP/2 frames: a 9-byte header whose first 3 bytes are the payload's length. */
    HTTP2(9, 0, 3, LargeFrames.MAX_FRAME_BYTES),
    /** TLS records: a 5-byte header whose last 2 bytes are the fragment's length. */
    TLS(5, 3, 2, 16_384 + 2048);

    final int headerBytes;
    final int lengthAt;
    final int lengthBytes;
    final int maxLength;

    Framing(int headerBytes, int lengthAt, int lengthBytes, int maxLength) {
      this.headerBytes = headerBytes;
      this.lengthAt = lengthAt;
      this.lengthBytes = lengthBytes;
      this.maxLength = maxLength;
    }
  }

  private final Framing framing;
  private int headerSeen;
  private int length;
  private int left;
  private boolean lost;

  FrameFollower(Framing framing) {
    this.framing = framing;
  }

  /** Bytes the connection read, in order. */
  void inbound(ByteBuf bytes) {
    int at = bytes.readerIndex();
    int end = bytes.writerIndex();
    while (at < end && !lost) {
      if (left > 0) {
        int n = Math.min(left, end - at);
        left -= n;
        at += n;
      } else {
        if (headerSeen >= framing.lengthAt && headerSeen < framing.lengthAt + framing.lengthBytes) {
          length = length << 8 | (bytes.getByte(at) & 0xff);
        }
        at++;
        if (++headerSeen == framing.headerBytes) {
          left = length;
          lost = length > framing.maxLength;
          headerSeen = 0;
          length = 0;
        }
      }
    }
  }

  /** Stops following: something other than bytes went by. */
  void lose() {
    lost = true;
  }

  /** Whether the units are still followed (nothing unexpected came by). */
  boolean following() {
    return !lost;
  }

  /**
   * The receive low-water mark the bytes read so far call for: the rest of the unit under way,
   * or 1 (wake for every segment) between units, within a header, below {@link #MIN_MARK}, or
   * when lost.
   */
  int wantedMark() {
    return lost || left < MIN_MARK ? 1 : left;
  }
}
