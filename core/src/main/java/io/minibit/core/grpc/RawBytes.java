package io.minibit.core.grpc;

import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * A marshaller that passes a message's bytes through untouched. Both ways it knows the length:
 * a message is read into an array of its size, and its stream tells protobuf the size, which
 * then parses it without a buffer of its own.
 */
public enum RawBytes implements MethodDescriptor.Marshaller<byte[]> {
  INSTANCE;

  @Override
  public InputStream stream(byte[] value) {
    return new Bytes(value);
  }

  @Override
  public byte[] parse(InputStream stream) {
    try {
      // gRPC's own streams know their length: read it in one array, not in 8 KiB steps
      byte[] message = new byte[stream instanceof KnownLength ? stream.available() : 0];
      int read = 0;
      // reads until full: readNBytes would not do for every stream (ByteArrayInputStream's, and
      // its subclasses', returns after a single read)
      while (read < message.length) {
        int n = stream.read(message, read, message.length - read);
        if (n < 0) {
          return Arrays.copyOf(message, read);
        }
        read += n;
      }
      int next = stream.read();
      if (next < 0) {
        return message;
      }
      byte[] rest = stream.readAllBytes();
      byte[] whole = Arrays.copyOf(message, message.length + 1 + rest.length);
      whole[message.length] = (byte) next;
      System.arraycopy(rest, 0, whole, message.length + 1, rest.length);
      return whole;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A message's bytes, of a length known before they are read. */
  private static final class Bytes extends ByteArrayInputStream implements KnownLength {
    Bytes(byte[] message) {
      super(message);
    }
  }
}
