package io.minibit.tracker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.buffer.UnpooledByteBufAllocator;
import io.grpc.netty.shaded.io.netty.channel.embedded.EmbeddedChannel;
import io.grpc.netty.shaded.io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RespTest {
  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** What the decoder passes on after reading {@code wire}, fed {@code step} bytes at a time. */
  private static List<Object> decode(String wire, int step) {
    EmbeddedChannel channel = new EmbeddedChannel(new Resp.Decoder());
    byte[] all = bytes(wire);
    for (int from = 0; from < all.length; from += step) {
      channel.writeInbound(Unpooled.wrappedBuffer(all, from, Math.min(step, all.length - from)));
    }
    List<Object> replies = new ArrayList<>();
    Object reply;
    while ((reply = channel.readInbound()) != null) {
      replies.add(reply);
    }
    channel.finishAndReleaseAll();
    return replies;
  }

  @Test
  void aCommandIsAnArrayOfBulkStrings() {
    ByteBuf encoded = Resp.encode(UnpooledByteBufAllocator.DEFAULT, bytes("HSET"), bytes("k"),
        bytes("a field"), new byte[0], new byte[12]);
    String expected = "*5\r\n$4\r\nHSET\r\n$1\r\nk\r\n$7\r\na field\r\n$0\r\n\r\n$12\r\n"
        + "\0".repeat(12) + "\r\n";
    assertEquals(expected, encoded.toString(StandardCharsets.UTF_8));
    assertEquals(encoded.capacity(), encoded.readableBytes(), "sized exactly");
    encoded.release();
  }

  @Test
  void everyKindOfReplyIsReadWholeHoweverTheBytesArrive() {
    String wire = ":-42\r\n+OK\r\n$5\r\nhe\r\no\r\n$-1\r\n*-1\r\n*0\r\n"
        + "*3\r\n:1\r\n*2\r\n$1\r\na\r\n$-1\r\n$0\r\n\r\n-NOSCRIPT No matching script\r\n";
    for (int step : new int[] {1, 2, 3, 7, wire.length()}) {
      List<Object> replies = decode(wire, step);
      assertEquals(8, replies.size(), "step " + step);
      assertEquals(-42L, replies.get(0));
      assertArrayEquals(bytes("OK"), (byte[]) replies.get(1));
      assertArrayEquals(bytes("he\r\no"), (byte[]) replies.get(2), "a bulk may hold CR LF");
      assertEquals(Resp.Nil.NIL, replies.get(3));
      assertEquals(Resp.Nil.NIL, replies.get(4));
      assertEquals(List.of(), replies.get(5));
      List<?> nested = (List<?>) replies.get(6);
      assertEquals(1L, nested.get(0));
      List<?> inner = (List<?>) nested.get(1);
      assertArrayEquals(bytes("a"), (byte[]) inner.get(0));
      assertNull(inner.get(1));
      assertArrayEquals(new byte[0], (byte[]) nested.get(2));
      assertEquals(new Resp.Error("NOSCRIPT No matching script"), replies.get(7));
    }
  }

  @Test
  void aLargeBulkStringArrivingInPiecesIsReadOnceWhole() {
    byte[] big = new byte[3 << 20];
    new java.util.Random(7).nextBytes(big);
    EmbeddedChannel channel = new EmbeddedChannel(new Resp.Decoder());
    byte[] header = bytes("$" + big.length + "\r\n");
    channel.writeInbound(Unpooled.wrappedBuffer(header));
    int piece = 64 << 10;
    for (int from = 0; from < big.length; from += piece) {
      channel.writeInbound(Unpooled.wrappedBuffer(big, from, Math.min(piece, big.length - from)));
      if (from + piece < big.length) {
        assertNull(channel.readInbound(), "nothing before the whole string is in");
      }
    }
    channel.writeInbound(Unpooled.wrappedBuffer(bytes("\r\n")));
    assertArrayEquals(big, (byte[]) channel.readInbound());
    channel.finishAndReleaseAll();
  }

  @Test
  void nothingIsReadAfterBytesThatBrokeTheProtocol() {
    EmbeddedChannel channel = new EmbeddedChannel(new Resp.Decoder());
    assertThrows(DecoderException.class,
        () -> channel.writeInbound(Unpooled.wrappedBuffer(bytes(":1\r\n?\r\n:2\r\n"))));
    assertEquals((Object) 1L, channel.readInbound());
    channel.writeInbound(Unpooled.wrappedBuffer(bytes(":3\r\n")));
    assertNull(channel.readInbound(), "what follows garbage is garbage too");
    channel.finishAndReleaseAll();
  }

  @Test
  void bytesThatAreNotRespBreakTheConnection() {
    for (String wire : new String[] {"?what\r\n", ":12x\r\n", ":1\n", "$3\r\nabcde\r\n",
        ":" + "9".repeat(19) + "\r\n", ":-\r\n", "$9999999999\r\n"}) {
      DecoderException e = assertThrows(DecoderException.class, () -> decode(wire, wire.length()),
          wire);
      assertTrue(e.getMessage().contains("Redis reply"), e.getMessage());
    }
  }
}
