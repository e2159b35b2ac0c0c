package io.minibit.tracker;

import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.ByteBufAllocator;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.handler.codec.ByteToMessageDecoder;
import io.grpc.netty.shaded.io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Redis's wire protocol (RESP2), as far as a {@link RedisPipeline} speaks it: a command is an
 * array of bulk strings; a reply is an integer ({@code Long}), a bulk or simple string
 * ({@code byte[]}; a nil bulk is {@code null}), an array ({@code List<Object>}, nil as
 * {@code null}) or an {@link Error}.
 */
final class Resp {
  /** Digits of a number at most: 18 never overflow a long, and no reply here needs more. */
  private static final int MAX_LONG_DIGITS = 18;
  /** Nesting a reply may have at most: the tracker's scripts answer flat arrays. */
  private static final int MAX_DEPTH = 8;

  private Resp() {}

  /** An error reply: {@code message} starts with its kind, such as NOSCRIPT or LOADING. */
  record Error(String message) {}

  /** {@code command} as Redis reads it, in a buffer of exactly its size. */
  static ByteBuf encode(ByteBufAllocator allocator, byte[]... command) {
    int size = 1 + digits(command.length) + 2;
    for (byte[] argument : command) {
      size += 1 + digits(argument.length) + 2 + argument.length + 2;
    }
    ByteBuf out = allocator.ioBuffer(size, size);
    out.writeByte('*');
    writeNumber(out, command.length);
    for (byte[] argument : command) {
      out.writeByte('$');
      writeNumber(out, argument.length);
      out.writeBytes(argument);
      out.writeByte('\r').writeByte('\n');
    }
    return out;
  }

  private static void writeNumber(ByteBuf out, int n) {
    int from = out.writerIndex();
    int length = digits(n);
    out.writerIndex(from + length);
    for (int i = from + length - 1; i >= from; i--) {
      out.setByte(i, '0' + n % 10);
      n /= 10;
    }
    out.writeByte('\r').writeByte('\n');
  }

  private static int digits(int n) {
    int digits = 1;
    while (n >= 10) {
      n /= 10;
      digits++;
    }
    return digits;
  }

  /**
   * Reads replies off a connection, each passed on whole once all its bytes are in: a reply cut
   * across reads waits for the rest. A reply that breaks the protocol closes nothing by itself;
   * it fails with a DecoderException, which the pipeline treats as a broken connection.
   */
  static final class Decoder extends ByteToMessageDecoder {
    /** Returned while a reply's bytes are not all in yet. */
    private static final Object INCOMPLETE = new Object();
    /** Set once the bytes broke the protocol: nothing after them means anything. */
    private boolean broken;

    @Override
    protected void decode(ChannelHandlerContext context, ByteBuf in, List<Object> out) {
      if (broken) {
        in.skipBytes(in.readableBytes());
        return;
      }
      try {
        decodeAll(in, out);
      } catch (DecoderException e) {
        broken = true;
        in.skipBytes(in.readableBytes());
        throw e;
      }
    }

    private static void decodeAll(ByteBuf in, List<Object> out) {
      while (in.isReadable()) {
        int start = in.readerIndex();
        Object reply = read(in, 0);
        if (reply == INCOMPLETE) {
          in.readerIndex(start);
          return;
        }
        out.add(reply == null ? Nil.NIL : reply);
      }
    }

    private static Object read(ByteBuf in, int depth) {
      if (depth > MAX_DEPTH) {
        throw new DecoderException("a Redis reply nested deeper than " + MAX_DEPTH);
      }
      int lineEnd = lineEnd(in);
      if (lineEnd < 0) {
        return INCOMPLETE;
      }
      byte type = in.readByte();
      switch (type) {
        case '+' -> {
          return line(in, lineEnd);
        }
        case '-' -> {
          return new Error(new String(line(in, lineEnd), StandardCharsets.UTF_8));
        }
        case ':' -> {
          return number(in, lineEnd);
        }
        case '$' -> {
          long length = number(in, lineEnd);
          if (length < 0) {
            return null;
          }
          if (length > Integer.MAX_VALUE - 2) {
            throw new DecoderException("a Redis reply's bulk string has " + length + " bytes");
          }
          if (in.readableBytes() < length + 2) {
            return INCOMPLETE;
          }
          byte[] bytes = new byte[(int) length];
          in.readBytes(bytes);
          if (in.readByte() != '\r' || in.readByte() != '\n') {
            throw new DecoderException("a Redis reply's bulk string is longer than it says");
          }
          return bytes;
        }
        case '*' -> {
          long count = number(in, lineEnd);
          if (count < 0) {
            return null;
          }
          // every element takes at least three bytes: no list larger than what is in
          if (count > in.readableBytes() / 3 + 1) {
            return INCOMPLETE;
          }
          List<Object> elements = new ArrayList<>((int) count);
          for (long i = 0; i < count; i++) {
            Object element = read(in, depth + 1);
            if (element == INCOMPLETE) {
              return INCOMPLETE;
            }
            elements.add(element);
          }
          return elements;
        }
        default -> throw new DecoderException(
            "a Redis reply starts with byte " + (type & 0xff) + ", which RESP2 does not know");
      }
    }

    /** The index of the CR ending the line that starts at the reader index, or -1. */
    private static int lineEnd(ByteBuf in) {
      int lf = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
      if (lf < 0) {
        return -1;
      }
      if (lf == in.readerIndex() || in.getByte(lf - 1) != '\r') {
        throw new DecoderException("a Redis reply line does not end with CR LF");
      }
      return lf - 1;
    }

    private static byte[] line(ByteBuf in, int lineEnd) {
      byte[] bytes = new byte[lineEnd - in.readerIndex()];
      in.readBytes(bytes);
      in.skipBytes(2);
      return bytes;
    }

    private static long number(ByteBuf in, int lineEnd) {
      boolean negative = in.getByte(in.readerIndex()) == '-';
      if (negative) {
        in.skipBytes(1);
      }
      int length = lineEnd - in.readerIndex();
      if (length < 1 || length > MAX_LONG_DIGITS) {
        throw new DecoderException("a Redis reply has a number of " + length + " digits");
      }
      long n = 0;
      while (in.readerIndex() < lineEnd) {
        byte digit = in.readByte();
        if (digit < '0' || digit > '9') {
          throw new DecoderException("a Redis reply has a number with byte " + (digit & 0xff));
        }
        n = n * 10 + (digit - '0');
      }
      in.skipBytes(2);
      return negative ? -n : n;
    }
  }

  /** A nil reply as the decoder passes it on (a Netty pipeline carries no nulls). */
  enum Nil { NIL }
}
