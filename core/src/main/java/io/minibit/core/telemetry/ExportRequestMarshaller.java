package io.minibit.core.telemetry;

import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.opentelemetry.sdk.common.export.MessageWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Writes an OTLP export request straight into gRPC's frame: a message of known length is
 * serialized once, into the frame, with no copy. Requests are only sent, never parsed. Stateless.
 */
enum ExportRequestMarshaller implements MethodDescriptor.Marshaller<MessageWriter> {
  INSTANCE;

  @Override
  public InputStream stream(MessageWriter message) {
    if (message.getContentLength() >= 0) {
      return new MessageStream(message);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      message.writeMessage(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new ByteArrayInputStream(bytes.toByteArray());
  }

  @Override
  public MessageWriter parse(InputStream stream) {
    throw new UnsupportedOperationException("requests are only sent");
  }

  /**
   * A message of known length that gRPC drains into its frame: serialized once, with no copy
   * (read only if something reads it as a plain stream).
   */
  private static final class MessageStream extends InputStream
      implements Drainable, KnownLength {
    private MessageWriter message; // null once drained or buffered
    private ByteArrayInputStream buffered;

    MessageStream(MessageWriter message) {
      this.message = message;
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      if (message != null) {
        int length = message.getContentLength();
        message.writeMessage(target);
        message = null;
        return length;
      }
      return buffered == null ? 0 : (int) buffered.transferTo(target);
    }

    @Override
    public int available() {
      if (message != null) {
        return message.getContentLength();
      }
      return buffered == null ? 0 : buffered.available();
    }

    @Override
    public int read() throws IOException {
      return buffer().read();
    }

    @Override
    public int read(byte[] bytes, int offset, int length) throws IOException {
      return buffer().read(bytes, offset, length);
    }

    private ByteArrayInputStream buffer() throws IOException {
      if (message != null) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(message.getContentLength());
        message.writeMessage(bytes);
        message = null;
        buffered = new ByteArrayInputStream(bytes.toByteArray());
      }
      return buffered == null ? new ByteArrayInputStream(new byte[0]) : buffered;
    }
  }
}
