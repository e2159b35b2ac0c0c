package io.minibit.cli.http2;

import io.grpc.Status;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The client side of one cleartext HTTP/2 connection (RFC 9113, with prior knowledge) on a Unix
 * socket, sized for what a command sends its daemon: a few small requests, each answered with
 * one message or a stream of small ones. Callers open streams and write their frames; one thread
 * reads the server's frames and hands each stream's to its {@link StreamListener}. Thread-safe:
 * writes, the flow-control windows and the stream table are guarded by this object's monitor,
 * and listeners are called without it held.
 */
final class Http2Connection {
  /** What a stream's owner hears from the reading thread, in the order it arrived. */
  interface StreamListener {
    /** The stream exists: called before its HEADERS go out, so before any frame of it comes. */
    void opened(Stream stream);

    /** A decoded header block: the response's headers, or its trailers when {@code end}. */
    void headers(List<byte[]> fields, boolean end);

    /** A DATA frame's payload, without padding; the listener owns the array. */
    void data(byte[] payload, boolean end);

    /** The stream ended without trailers: reset by the server, or the connection is gone. */
    void failed(Status status);
  }

  /** What this side advertises for each stream it reads, and adds to the connection's window. */
  static final int RECEIVE_WINDOW = 1 << 20;
  private static final int DEFAULT_WINDOW = 65_535;
  // The largest frame either way: this side never advertises a larger one, and every server
  // takes one this size (a request never needs more).
  private static final int MAX_FRAME = 16_384;
  private static final byte[] PREFACE =
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  private static final int DATA = 0x0;
  private static final int HEADERS = 0x1;
  private static final int RST_STREAM = 0x3;
  private static final int SETTINGS = 0x4;
  private static final int PUSH_PROMISE = 0x5;
  private static final int PING = 0x6;
  private static final int GOAWAY = 0x7;
  private static final int WINDOW_UPDATE = 0x8;
  private static final int CONTINUATION = 0x9;

  private static final int END_STREAM = 0x1;
  private static final int ACK = 0x1;
  private static final int END_HEADERS = 0x4;
  private static final int PADDED = 0x8;
  private static final int PRIORITY = 0x20;

  private static final int SETTINGS_ENABLE_PUSH = 0x2;
  private static final int SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
  private static final int SETTINGS_MAX_FRAME_SIZE = 0x5;

  private static final int NO_ERROR = 0x0;
  private static final int PROTOCOL_ERROR = 0x1;
  private static final int CANCEL = 0x8;

  private final SocketChannel socket;
  private final Thread reader;
  private final CountDownLatch closed = new CountDownLatch(1);
  // Guarded by this.
  private final Map<Integer, Stream> streams = new HashMap<>();
  private int nextStreamId = 1;
  private int sendWindow = DEFAULT_WINDOW;
  private int initialStreamWindow = DEFAULT_WINDOW;
  private boolean goingAway;
  private boolean closeWhenIdle;
  private boolean dead;
  // Only the reading thread touches these.
  private final Hpack.Decoder decoder = new Hpack.Decoder(Hpack.DEFAULT_TABLE_SIZE);
  private int receivedSinceUpdate;

  private Http2Connection(SocketChannel socket, ThreadFactory threads) {
    this.socket = socket;
    this.reader = threads.newThread(this::read);
  }

  /** Connects to the server listening on {@code path} and starts reading. */
  static Http2Connection open(Path path, ThreadFactory threads) throws IOException {
    SocketChannel socket = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      socket.connect(UnixDomainSocketAddress.of(path));
      Http2Connection connection = new Http2Connection(socket, threads);
      connection.start();
      return connection;
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  private void start() throws IOException {
    ByteBuffer settings = ByteBuffer.allocate(12);
    settings.putShort((short) SETTINGS_ENABLE_PUSH).putInt(0);
    settings.putShort((short) SETTINGS_INITIAL_WINDOW_SIZE).putInt(RECEIVE_WINDOW);
    synchronized (this) {
      writeFully(ByteBuffer.wrap(PREFACE));
      writeFrame(SETTINGS, 0, 0, settings.array());
      writeFrame(WINDOW_UPDATE, 0, 0, int32(RECEIVE_WINDOW - DEFAULT_WINDOW));
    }
    reader.start();
  }

  /** True while new streams may start here: not going away, closing or closed. */
  synchronized boolean acceptsStreams() {
    return !goingAway && !closeWhenIdle && !dead;
  }

  /**
   * Sends a request's header block on a new stream whose frames go to {@code listener}; the
   * stream stays open for the request's DATA.
   */
  synchronized void newStream(List<byte[]> fields, StreamListener listener) throws IOException {
    if (!acceptsStreams()) {
      throw new IOException("the connection is closing");
    }
    Stream stream = new Stream(nextStreamId, listener, initialStreamWindow);
    nextStreamId += 2;
    streams.put(stream.id, stream);
    listener.opened(stream);
    byte[] block = Hpack.encode(fields);
    int offset = 0;
    do { // HEADERS, then CONTINUATIONs while the block is larger than a frame
      int length = Math.min(block.length - offset, MAX_FRAME);
      boolean last = offset + length == block.length;
      writeFrame(offset == 0 ? HEADERS : CONTINUATION, last ? END_HEADERS : 0, stream.id,
          block, offset, length);
      offset += length;
    } while (offset < block.length);
  }

  /**
   * No new streams; the socket closes once the last open stream ends (at once if none is open).
   */
  synchronized void closeWhenIdle() {
    closeWhenIdle = true;
    if (streams.isEmpty()) {
      close();
    }
  }

  /** Closes the socket now: open streams fail UNAVAILABLE. */
  void close() {
    synchronized (this) {
      if (!dead) {
        try {
          writeFrame(GOAWAY, 0, 0, goAway(NO_ERROR));
        } catch (IOException e) {
          // the server is gone already: closing is all that is left
        }
      }
      dead = true;
      notifyAll();
    }
    closeSocket();
  }

  /** Waits until the reading thread has ended. */
  boolean awaitClosed(long timeout, TimeUnit unit) throws InterruptedException {
    return closed.await(timeout, unit);
  }

  boolean isClosed() {
    return closed.getCount() == 0;
  }

  /** A stream this side opened: writes its DATA, cancels it, gives back its window. */
  final class Stream {
    final int id;
    private final StreamListener listener;
    // Guarded by the connection.
    private int sendWindow;
    private int consumedSinceUpdate;

    private Stream(int id, StreamListener listener, int sendWindow) {
      this.id = id;
      this.listener = listener;
      this.sendWindow = sendWindow;
    }

    /**
     * Sends {@code data} in DATA frames, waiting for the server's windows where they are full,
     * with END_STREAM on the last if {@code end}.
     */
    void send(byte[] data, boolean end) throws IOException {
      synchronized (Http2Connection.this) {
        int offset = 0;
        do {
          int length = Math.min(data.length - offset, MAX_FRAME);
          while (true) {
            if (dead || !streams.containsKey(id)) {
              throw new IOException("the stream is closed");
            }
            if (length == 0 || Math.min(sendWindow, Http2Connection.this.sendWindow) > 0) {
              break;
            }
            try {
              Http2Connection.this.wait();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IOException("interrupted while waiting for the server's window");
            }
          }
          length = Math.min(length, Math.min(sendWindow, Http2Connection.this.sendWindow));
          sendWindow -= length;
          Http2Connection.this.sendWindow -= length;
          boolean last = offset + length == data.length;
          writeFrame(DATA, last && end ? END_STREAM : 0, id, data, offset, length);
          offset += length;
        } while (offset < data.length);
      }
    }

    /** Resets the stream (CANCEL) unless it has ended; nothing of it reaches the listener again. */
    void cancel() {
      synchronized (Http2Connection.this) {
        if (remove(id) != null && !dead) {
          try {
            writeFrame(RST_STREAM, 0, id, int32(CANCEL));
          } catch (IOException e) {
            // the connection is failing: its reader ends every stream
          }
        }
      }
    }

    /**
     * Gives {@code bytes} of this stream's DATA back to the server once its owner has read them,
     * so a reader that falls behind holds at most a window of them.
     */
    void consumed(int bytes) {
      synchronized (Http2Connection.this) {
        consumedSinceUpdate += bytes;
        if (consumedSinceUpdate >= RECEIVE_WINDOW / 2 && streams.containsKey(id) && !dead) {
          try {
            writeFrame(WINDOW_UPDATE, 0, id, int32(consumedSinceUpdate));
          } catch (IOException e) {
            // the connection is failing: its reader ends every stream
          }
          consumedSinceUpdate = 0;
        }
      }
    }
  }

  /** The reading thread: frames until the socket ends, then every open stream fails. */
  private void read() {
    Status end = Status.UNAVAILABLE.withDescription("the server closed the connection");
    try {
      FrameReader frames = new FrameReader(socket);
      while (true) {
        frames.next();
        try {
          handle(frames);
        } catch (RuntimeException e) {
          // A call's listener failed (its executor refused a task, say): that call is lost, but
          // the connection and its other calls go on.
        }
      }
    } catch (EOFException e) {
      // the server closed the connection: end as above
    } catch (ProtocolException e) {
      end = Status.INTERNAL.withDescription("the server broke HTTP/2: " + e.getMessage());
      synchronized (this) {
        try {
          writeFrame(GOAWAY, 0, 0, goAway(PROTOCOL_ERROR));
        } catch (IOException ignored) {
          // closing anyway
        }
      }
    } catch (IOException e) {
      end = Status.UNAVAILABLE.withDescription("the connection failed: " + Http2Call.reason(e))
          .withCause(e);
    } finally {
      List<Stream> open;
      synchronized (this) {
        dead = true;
        open = new ArrayList<>(streams.values());
        streams.clear();
        notifyAll();
      }
      closeSocket();
      try {
        for (Stream stream : open) {
          try {
            stream.listener.failed(end);
          } catch (RuntimeException e) {
            // as above: the other calls still hear of the end
          }
        }
      } finally {
        closed.countDown();
      }
    }
  }

  private void handle(FrameReader frame) throws IOException {
    switch (frame.type) {
      case DATA -> data(frame);
      case HEADERS -> headers(frame);
      case RST_STREAM -> {
        frame.requireLength(4);
        Stream stream = removeLocked(frame.streamId);
        if (stream != null) {
          stream.listener.failed(resetStatus(frame.payload.getInt()));
        }
      }
      case SETTINGS -> settings(frame);
      case PING -> {
        frame.requireLength(8);
        if ((frame.flags & ACK) == 0) {
          byte[] opaque = new byte[8];
          frame.payload.get(opaque);
          synchronized (this) {
            answer(PING, ACK, 0, opaque);
          }
        }
      }
      case GOAWAY -> goAway(frame);
      case WINDOW_UPDATE -> {
        frame.requireLength(4);
        int increment = frame.payload.getInt() & 0x7fff_ffff;
        synchronized (this) {
          Stream stream = streams.get(frame.streamId);
          if (frame.streamId == 0) {
            sendWindow = grown(sendWindow, increment);
          } else if (stream != null) {
            stream.sendWindow = grown(stream.sendWindow, increment);
          }
          notifyAll();
        }
      }
      case PUSH_PROMISE -> throw new ProtocolException("PUSH_PROMISE, which this side disabled");
      case CONTINUATION -> throw new ProtocolException("CONTINUATION without HEADERS");
      default -> { } // PRIORITY, and frame types this side does not know: ignored, as allowed
    }
  }

  private void data(FrameReader frame) throws IOException {
    frame.stripPadding();
    byte[] payload = new byte[frame.payload.remaining()];
    frame.payload.get(payload);
    boolean end = (frame.flags & END_STREAM) != 0;
    Stream stream;
    synchronized (this) {
      // The connection's window comes back as DATA arrives: each stream's bounds what is held.
      receivedSinceUpdate += frame.length;
      if (receivedSinceUpdate >= RECEIVE_WINDOW / 2) {
        answer(WINDOW_UPDATE, 0, 0, int32(receivedSinceUpdate));
        receivedSinceUpdate = 0;
      }
      stream = end ? remove(frame.streamId) : streams.get(frame.streamId);
    }
    if (stream != null) {
      stream.consumed(frame.length - payload.length); // the padding: its owner sees the rest
      stream.listener.data(payload, end);
    }
  }

  private void headers(FrameReader frame) throws IOException {
    int streamId = frame.streamId;
    boolean end = (frame.flags & END_STREAM) != 0;
    frame.stripPadding();
    if ((frame.flags & PRIORITY) != 0) {
      frame.skip(5);
    }
    ByteBuffer block = frame.copyPayload();
    while ((frame.flags & END_HEADERS) == 0) { // CONTINUATIONs of the same stream must follow
      frame.next();
      if (frame.type != CONTINUATION || frame.streamId != streamId) {
        throw new ProtocolException("a header block was interrupted by another frame");
      }
      block = join(block, frame.payload);
    }
    // Decoded even for a stream this side has let go of: the table must stay in step.
    List<byte[]> fields;
    try {
      fields = decoder.decode(block);
    } catch (Hpack.HpackException e) {
      throw new ProtocolException("a header block that does not decode: " + e.getMessage());
    }
    Stream stream = end ? removeLocked(streamId) : streamLocked(streamId);
    if (stream != null) {
      stream.listener.headers(fields, end);
    }
  }

  private void settings(FrameReader frame) throws IOException {
    if ((frame.flags & ACK) != 0) {
      return;
    }
    if (frame.length % 6 != 0) {
      throw new ProtocolException("a SETTINGS frame of " + frame.length + " bytes");
    }
    synchronized (this) {
      while (frame.payload.hasRemaining()) {
        int id = frame.payload.getShort() & 0xffff;
        int value = frame.payload.getInt();
        if (id == SETTINGS_INITIAL_WINDOW_SIZE) {
          if (value < 0) {
            throw new ProtocolException("an initial window of " + Integer.toUnsignedString(value)
                + " bytes, over 2^31 - 1");
          }
          int delta = value - initialStreamWindow;
          initialStreamWindow = value;
          streams.values().forEach(stream -> stream.sendWindow += delta);
        } else if (id == SETTINGS_MAX_FRAME_SIZE) {
          if (value < MAX_FRAME || value > 0xff_ffff) {
            throw new ProtocolException("a maximum frame size of " + value + " bytes");
          }
        }
      }
      answer(SETTINGS, ACK, 0, new byte[0]);
      notifyAll();
    }
  }

  private void goAway(FrameReader frame) throws IOException {
    if (frame.length < 8) {
      throw new ProtocolException("a GOAWAY frame of " + frame.length + " bytes");
    }
    int lastStreamId = frame.payload.getInt() & 0x7fff_ffff;
    List<Stream> refused = new ArrayList<>();
    synchronized (this) {
      goingAway = true;
      streams.values().removeIf(stream -> stream.id > lastStreamId && refused.add(stream));
      notifyAll();
    }
    // Never started on the server: safe to try again on a new connection.
    Status status = Status.UNAVAILABLE.withDescription("the server is going away");
    refused.forEach(stream -> stream.listener.failed(status));
    synchronized (this) {
      if (streams.isEmpty()) {
        close();
      }
    }
  }

  /** Forgets a stream; the last one to end closes a connection that is going away. */
  private Stream remove(int streamId) {
    Stream stream = streams.remove(streamId);
    notifyAll(); // a sender waiting for this stream's window gives up
    if (stream != null && streams.isEmpty() && (closeWhenIdle || goingAway) && !dead) {
      close();
    }
    return stream;
  }

  private synchronized Stream removeLocked(int streamId) {
    return remove(streamId);
  }

  private synchronized Stream streamLocked(int streamId) {
    return streams.get(streamId);
  }

  /** A flow-control window after an increment, which may not take it past 2^31 - 1. */
  private static int grown(int window, int increment) throws ProtocolException {
    if (increment == 0) {
      throw new ProtocolException("a WINDOW_UPDATE of 0 bytes");
    }
    long grown = (long) window + increment;
    if (grown > Integer.MAX_VALUE) {
      throw new ProtocolException("a window grown past 2^31 - 1 bytes");
    }
    return (int) grown;
  }

  /** gRPC's meaning of a stream reset by the server (its HTTP/2 error code), as grpc-java's. */
  static Status resetStatus(int errorCode) {
    Status status = switch (errorCode) {
      case NO_ERROR, 0x7 -> Status.UNAVAILABLE; // REFUSED_STREAM: the server never started it
      case 0xd -> Status.UNKNOWN; // HTTP_1_1_REQUIRED
      case CANCEL -> Status.CANCELLED;
      case 0xb -> Status.RESOURCE_EXHAUSTED; // ENHANCE_YOUR_CALM
      case 0xc -> Status.PERMISSION_DENIED; // INADEQUATE_SECURITY
      default -> Status.INTERNAL;
    };
    return status.withDescription("the server reset the stream (HTTP/2 error " + errorCode + ")");
  }

  /**
   * A frame the reading thread owes the server (an ACK, a window). If the socket cannot take it,
   * the server has gone: reading on gives its last frames (a reset, trailers) and then the end,
   * which says more about each call than this write's failure would. Called with the monitor
   * held.
   */
  private void answer(int type, int flags, int streamId, byte[] payload) {
    try {
      writeFrame(type, flags, streamId, payload);
    } catch (IOException e) {
      // as above
    }
  }

  private void writeFrame(int type, int flags, int streamId, byte[] payload) throws IOException {
    writeFrame(type, flags, streamId, payload, 0, payload.length);
  }

  // Called with this object's monitor held.
  private void writeFrame(int type, int flags, int streamId, byte[] payload, int offset,
      int length) throws IOException {
    ByteBuffer frame = ByteBuffer.allocate(9 + length);
    frame.put((byte) (length >>> 16)).put((byte) (length >>> 8)).put((byte) length);
    frame.put((byte) type).put((byte) flags).putInt(streamId);
    frame.put(payload, offset, length).flip();
    writeFully(frame);
  }

  private void writeFully(ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      socket.write(buffer);
    }
  }

  private void closeSocket() {
    try {
      socket.close();
    } catch (IOException e) {
      // nothing more to do with it
    }
  }

  private static byte[] goAway(int errorCode) {
    return ByteBuffer.allocate(8).putInt(0).putInt(errorCode).array();
  }

  private static byte[] int32(int value) {
    return ByteBuffer.allocate(4).putInt(value).array();
  }

  private static ByteBuffer join(ByteBuffer first, ByteBuffer second) {
    ByteBuffer joined = ByteBuffer.allocate(first.remaining() + second.remaining());
    return joined.put(first).put(second).flip();
  }

  /** The server broke the protocol: the connection ends with PROTOCOL_ERROR. */
  private static final class ProtocolException extends IOException {
    ProtocolException(String message) {
      super(message);
    }
  }

  /** Reads frames off the socket one at a time; the current one's fields stay until next(). */
  private static final class FrameReader {
    private final SocketChannel socket;
    private final ByteBuffer in = ByteBuffer.allocate(9 + MAX_FRAME).flip();
    int length;
    int type;
    int flags;
    int streamId;
    /** The current frame's payload, a view of the read buffer valid until next(). */
    ByteBuffer payload;

    FrameReader(SocketChannel socket) {
      this.socket = socket;
    }

    void next() throws IOException {
      fill(9);
      length = ((in.get() & 0xff) << 16) | ((in.get() & 0xff) << 8) | (in.get() & 0xff);
      type = in.get() & 0xff;
      flags = in.get() & 0xff;
      streamId = in.getInt() & 0x7fff_ffff;
      if (length > MAX_FRAME) {
        throw new ProtocolException("a frame of " + length + " bytes, over " + MAX_FRAME);
      }
      fill(length);
      payload = in.slice(in.position(), length);
      in.position(in.position() + length);
    }

    /** Removes a PADDED frame's padding (and its length byte) from the payload. */
    void stripPadding() throws ProtocolException {
      if ((flags & PADDED) == 0) {
        return;
      }
      requireAtLeast(1);
      int padding = payload.get() & 0xff;
      if (padding > payload.remaining()) {
        throw new ProtocolException("more padding than the frame holds");
      }
      payload.limit(payload.limit() - padding);
    }

    void skip(int bytes) throws ProtocolException {
      requireAtLeast(bytes);
      payload.position(payload.position() + bytes);
    }

    ByteBuffer copyPayload() {
      ByteBuffer copy = ByteBuffer.allocate(payload.remaining());
      return copy.put(payload).flip();
    }

    void requireLength(int expected) throws ProtocolException {
      if (length != expected) {
        throw new ProtocolException("a frame of type " + type + " and " + length + " bytes");
      }
    }

    private void requireAtLeast(int bytes) throws ProtocolException {
      if (payload.remaining() < bytes) {
        throw new ProtocolException("a frame of type " + type + " too short for its flags");
      }
    }

    private void fill(int bytes) throws IOException {
      if (in.remaining() >= bytes) {
        return;
      }
      in.compact();
      while (in.position() < bytes) {
        if (socket.read(in) < 0) {
          throw new EOFException();
        }
      }
      in.flip();
    }
  }
}
