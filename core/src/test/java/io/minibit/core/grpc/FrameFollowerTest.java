package io.minibit.core.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.minibit.core.grpc.FrameFollower.Framing;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

class FrameFollowerTest {
  static final int DATA = 0;
  static final int HEADERS = 1;
  static final int END_HEADERS = 4;
  static final int APPLICATION_DATA = 23;

  private final FrameFollower http2 = new FrameFollower(Framing.HTTP2);

  /** An HTTP/2 frame header announcing {@code length} bytes of payload. */
  static byte[] frame(int length, int type, int flags, int stream) {
    return new byte[] {(byte) (length >>> 16), (byte) (length >>> 8), (byte) length, (byte) type,
        (byte) flags, (byte) (stream >>> 24), (byte) (stream >>> 16), (byte) (stream >>> 8),
        (byte) stream};
  }

  /** A TLS 1.2 record header announcing {@code length} bytes of fragment. */
  static byte[] record(int length) {
    return new byte[] {APPLICATION_DATA, 3, 3, (byte) (length >>> 8), (byte) length};
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      all.writeBytes(part);
    }
    return all.toByteArray();
  }

  private static void read(FrameFollower follower, byte[]... parts) {
    ByteBuf bytes = Unpooled.wrappedBuffer(concat(parts));
    follower.inbound(bytes);
    assertEquals(0, bytes.readerIndex(), "the follower must not consume what it reads");
  }

  @Test
  void waitsForTheRestOfTheFrameUnderWay() {
    read(http2, frame(16_384, DATA, 0, 1), new byte[1448 - 9]);
    assertEquals(16_384 - 1439, http2.wantedMark());
    read(http2, new byte[10_000]);
    assertEquals(16_384 - 11_439, http2.wantedMark());
    read(http2, new byte[16_384 - 11_439]);
    assertEquals(1, http2.wantedMark(), "between frames: the next header may come in any size");
  }

  @Test
  void followsFramesAcrossReadsWhateverTheirSplit() {
    byte[] bytes = concat(frame(20, HEADERS, END_HEADERS, 1), new byte[20],
        frame(16_384, DATA, 0, 1), new byte[16_384], frame(16_384, DATA, 0, 3), new byte[3000]);
    for (int split = 1; split < bytes.length; split += 997) {
      FrameFollower follower = new FrameFollower(Framing.HTTP2);
      follower.inbound(Unpooled.wrappedBuffer(bytes, 0, split));
      follower.inbound(Unpooled.wrappedBuffer(bytes, split, bytes.length - split));
      assertEquals(16_384 - 3000, follower.wantedMark(), "split at " + split);
    }
  }

  @Test
  void theLargeFramesAPeerConnectionAsksForAreFollowed() {
    read(http2, frame(LargeFrames.MAX_FRAME_BYTES, DATA, 0, 1), new byte[1448]);
    assertEquals(LargeFrames.MAX_FRAME_BYTES - 1448, http2.wantedMark());
  }

  @Test
  void smallRemaindersAndSplitHeadersWakeForEverySegment() {
    read(http2, frame(6000, DATA, 0, 1), new byte[1000]);
    assertEquals(5000, http2.wantedMark());
    read(http2, new byte[1500]);
    assertEquals(1, http2.wantedMark(), "3,500 bytes left: under the smallest mark");

    FrameFollower split = new FrameFollower(Framing.HTTP2);
    read(split, new byte[] {0, 0x40});
    assertEquals(1, split.wantedMark(), "a frame header half read");
  }

  @Test
  void tlsRecordsAreFollowedByTheirOwnHeaders() {
    FrameFollower tls = new FrameFollower(Framing.TLS);
    read(tls, record(16_384 + 17), new byte[1443]);
    assertEquals(16_384 + 17 - 1443, tls.wantedMark());
    read(tls, new byte[16_384 + 17 - 1443], record(100), new byte[100], record(9000));
    assertEquals(9000, tls.wantedMark());
  }

  @Test
  void aLengthOverTheProtocolsLimitStopsTheFollowing() {
    read(http2, frame(LargeFrames.MAX_FRAME_BYTES + 1, DATA, 0, 1), new byte[100]);
    assertFalse(http2.following());
    assertEquals(1, http2.wantedMark(), "lost for good");

    FrameFollower tls = new FrameFollower(Framing.TLS);
    read(tls, record(30_000));
    assertFalse(tls.following());

    FrameFollower fine = new FrameFollower(Framing.HTTP2);
    read(fine, frame(16_384, DATA, 0, 1));
    assertTrue(fine.following());
  }
}
