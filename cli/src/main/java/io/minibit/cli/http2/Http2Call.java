package io.minibit.cli.http2;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ClientStreamTracer;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Deadline;
import io.grpc.InternalMetadata;
import io.grpc.InternalStatus;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.internal.SerializingExecutor;
import io.minibit.core.grpc.Channels;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One attempt of a gRPC call on an {@link Http2Channel}: a stream of its connection. The caller's
 * thread starts it and sends; the connection's reading thread deframes what comes back; the
 * listener hears everything through the call's executor, one callback at a time, in order.
 * Thread-safe, as {@link ClientCall} requires: the fields the listener's side reads are touched
 * only by tasks on that serial executor.
 */
final class Http2Call<ReqT, RespT> extends ClientCall<ReqT, RespT>
    implements Http2Connection.StreamListener {
  private static final byte[] TE = bytes("te");
  private static final byte[] TRAILERS = bytes("trailers");
  private static final byte[] CONTENT_TYPE = bytes("content-type");
  private static final byte[] GRPC = bytes("application/grpc");

  private final Http2Channel channel;
  private final MethodDescriptor<ReqT, RespT> method;
  private final CallOptions options;
  private final int attempt;
  private final Context context = Context.current();
  private final SerializingExecutor callbacks;
  private final AtomicBoolean finished = new AtomicBoolean();
  private final List<ClientStreamTracer> tracers = new ArrayList<>();
  private final Context.CancellationListener onContextCancelled =
      context -> finish(Contexts.statusFromCancelled(context), new Metadata());
  private volatile Http2Connection.Stream stream;
  private volatile ScheduledFuture<?> deadlineTimer;
  private Deadline deadline;

  // Only the connection's reading thread touches these.
  private ByteBuffer partial = ByteBuffer.allocate(0);
  private int partialReturned; // bytes of the partial message whose window went back already
  private boolean headersSeen;
  private int received;

  // Only tasks on callbacks touch these.
  private Listener<RespT> listener;
  private final Queue<Inbound> pending = new ArrayDeque<>();
  private int demand;
  private Status closeStatus;
  private Metadata closeTrailers;
  private boolean drainFirst;
  private Status failure; // the listener threw
  private boolean closed;

  private int sent; // only the caller's thread, which sends, touches it

  Http2Call(Http2Channel channel, MethodDescriptor<ReqT, RespT> method, CallOptions options,
      int attempt) {
    this.channel = channel;
    this.method = method;
    this.options = options;
    this.attempt = attempt;
    this.callbacks = new SerializingExecutor(channel.executorFor(options));
  }

  @Override
  public void start(Listener<RespT> listener, Metadata headers) {
    channel.callStarted();
    callbacks.execute(() -> {
      this.listener = listener;
      deliver(); // the close of a call cancelled before it started
    });
    if (finished.get()) {
      return;
    }
    ClientStreamTracer.StreamInfo info = ClientStreamTracer.StreamInfo.newBuilder()
        .setCallOptions(options).setPreviousAttempts(attempt).build();
    options.getStreamTracerFactories()
        .forEach(factory -> tracers.add(factory.newClientStreamTracer(info, headers)));
    deadline = deadline(options, context);
    if (context.isCancelled()) {
      finish(Contexts.statusFromCancelled(context), new Metadata());
      return;
    }
    if (deadline != null && deadline.isExpired()) {
      finish(Status.DEADLINE_EXCEEDED.withDescription("the deadline had passed before the call"),
          new Metadata());
      return;
    }
    Http2Connection connection;
    try {
      connection = channel.connection();
    } catch (IOException e) {
      finish(Status.UNAVAILABLE.withDescription("cannot connect to " + channel.target() + ": "
          + reason(e)).withCause(e), new Metadata());
      return;
    }
    tracers.forEach(tracer -> tracer.streamCreated(Attributes.EMPTY, headers));
    try {
      connection.newStream(requestHeaders(headers), this);
    } catch (IOException e) {
      finish(Status.UNAVAILABLE.withDescription("the connection failed: " + reason(e))
          .withCause(e), new Metadata());
      return;
    }
    tracers.forEach(ClientStreamTracer::outboundHeaders);
    if (deadline != null) {
      try {
        deadlineTimer = deadline.runOnExpiration(() -> finish(Status.DEADLINE_EXCEEDED
            .withDescription("the server did not answer in time"), new Metadata()),
            channel.scheduler());
      } catch (RejectedExecutionException e) {
        finish(Status.UNAVAILABLE.withDescription("the channel was shut down"), new Metadata());
      }
    }
    context.addListener(onContextCancelled, Runnable::run);
    if (finished.get()) { // ended while starting: undo what that finish could not see yet
      stream.cancel();
      cleanUp();
    }
  }

  @Override
  public void request(int messages) {
    callbacks.execute(() -> {
      demand += messages;
      deliver();
    });
  }

  @Override
  public void sendMessage(ReqT message) {
    Http2Connection.Stream open = stream;
    if (open == null || finished.get()) {
      return; // the call has ended: its status is on the way to the listener
    }
    try (InputStream in = method.streamRequest(message)) {
      byte[] body = in.readAllBytes();
      byte[] framed = ByteBuffer.allocate(5 + body.length).put((byte) 0).putInt(body.length)
          .put(body).array();
      open.send(framed, false);
      int seqNo = sent++;
      tracers.forEach(tracer -> tracer.outboundMessage(seqNo));
    } catch (IOException e) {
      finish(Status.UNAVAILABLE.withDescription("cannot send the request: " + reason(e))
          .withCause(e), new Metadata());
    }
  }

  @Override
  public void halfClose() {
    Http2Connection.Stream open = stream;
    if (open == null || finished.get()) {
      return;
    }
    try {
      open.send(new byte[0], true);
    } catch (IOException e) {
      finish(Status.UNAVAILABLE.withDescription("cannot send the request: " + reason(e))
          .withCause(e), new Metadata());
    }
  }

  @Override
  public void cancel(String message, Throwable cause) {
    Status status = Status.CANCELLED;
    finish((message != null ? status.withDescription(message)
        : status.withDescription("the call was cancelled")).withCause(cause), new Metadata());
  }

  @Override
  public boolean isReady() {
    return !finished.get(); // requests are small: the windows never hold them up for long
  }

  @Override
  public void opened(Http2Connection.Stream stream) {
    this.stream = stream;
  }

  @Override
  public void headers(List<byte[]> fields, boolean end) {
    Metadata metadata = metadata(fields);
    if (!headersSeen && !end) {
      headersSeen = true;
      Status wrong = responseProblem(fields);
      if (wrong != null) {
        finish(wrong, metadata);
        return;
      }
      tracers.forEach(tracer -> tracer.inboundHeaders(metadata));
      callbacks.execute(() -> {
        if (!closed && failure == null) {
          try {
            listener.onHeaders(metadata);
          } catch (RuntimeException | Error e) {
            listenerFailed(e);
          }
        }
      });
      return;
    }
    if (!end) {
      finish(Status.INTERNAL.withDescription("the server sent a second header block"), metadata);
      return;
    }
    Status status = headersSeen ? null : responseProblem(fields); // Trailers-Only
    if (status == null) {
      status = metadata.get(InternalStatus.CODE_KEY);
      if (status == null) {
        status = Status.UNKNOWN.withDescription("the server's trailers carry no grpc-status");
      } else {
        String message = metadata.get(InternalStatus.MESSAGE_KEY);
        status = message != null ? status.withDescription(message) : status;
      }
      if (partial.hasRemaining() && status.isOk()) {
        status = Status.INTERNAL.withDescription("the stream ended inside a message");
      }
    }
    metadata.discardAll(InternalStatus.CODE_KEY);
    metadata.discardAll(InternalStatus.MESSAGE_KEY);
    tracers.forEach(tracer -> tracer.inboundTrailers(metadata));
    finish(status, metadata, Ending.TRAILERS);
  }

  @Override
  public void data(byte[] payload, boolean end) {
    if (!headersSeen) {
      finish(Status.INTERNAL.withDescription("the server sent data before headers"),
          new Metadata());
      return;
    }
    ByteBuffer in = ByteBuffer.allocate(partial.remaining() + payload.length);
    in.put(partial).put(payload).flip();
    while (in.remaining() >= 5) {
      int flags = in.get(in.position());
      int length = in.getInt(in.position() + 1);
      if (flags != 0) {
        finish(Status.INTERNAL.withDescription("the server compressed a message unasked"),
            new Metadata());
        return;
      }
      if (length < 0 || length > Channels.MAX_INBOUND_MESSAGE_BYTES) {
        finish(Status.RESOURCE_EXHAUSTED.withDescription("a response of " + Integer
            .toUnsignedString(length) + " bytes, over the " + Channels.MAX_INBOUND_MESSAGE_BYTES
            + " this client takes"), new Metadata());
        return;
      }
      if (in.remaining() < 5 + length) {
        break;
      }
      byte[] message = new byte[length];
      in.position(in.position() + 5).get(message);
      int seqNo = received++;
      tracers.forEach(tracer -> tracer.inboundMessage(seqNo));
      int owed = 5 + length - partialReturned; // given back once the listener has read it
      partialReturned = 0;
      callbacks.execute(() -> {
        pending.add(new Inbound(message, owed));
        deliver();
      });
    }
    // The window of a message still arriving goes back at once: the server must be able to
    // finish a message larger than the window. Only messages read whole and not yet delivered
    // hold it.
    if (in.remaining() > partialReturned) {
      stream.consumed(in.remaining() - partialReturned);
      partialReturned = in.remaining();
    }
    partial = in;
    if (end) {
      finish(Status.INTERNAL.withDescription("the server ended the stream without trailers"),
          new Metadata());
    }
  }

  @Override
  public void failed(Status status) {
    finish(status, new Metadata(), Ending.LOST);
  }

  /**
   * Delivers what the listener asked for, then the close: after the messages still queued if the
   * server's trailers ended the call, at once otherwise.
   */
  private void deliver() {
    if (listener == null) {
      return; // not started yet: start delivers
    }
    while (!closed && failure == null && demand > 0 && !pending.isEmpty()) {
      Inbound message = pending.poll();
      demand--;
      RespT response;
      try {
        response = method.parseResponse(new ByteArrayInputStream(message.bytes()));
      } catch (RuntimeException e) {
        finish(Status.INTERNAL.withDescription("cannot parse the server's response").withCause(e),
            new Metadata());
        pending.clear();
        break;
      }
      stream.consumed(message.window());
      try {
        listener.onMessage(response);
      } catch (RuntimeException | Error e) {
        listenerFailed(e);
      }
    }
    if (closed) {
      return;
    }
    if (failure != null) {
      close(failure, new Metadata());
    } else if (closeStatus != null && (pending.isEmpty() || !drainFirst)) {
      close(closeStatus, closeTrailers);
    }
  }

  private void close(Status status, Metadata trailers) {
    closed = true;
    pending.clear();
    try {
      listener.onClose(status, trailers);
    } finally {
      channel.callEnded();
    }
  }

  /** The listener threw: the call is cancelled, and the listener hears that once, last. */
  private void listenerFailed(Throwable e) {
    failure = Status.CANCELLED.withDescription("the call's listener failed").withCause(e);
    finish(failure, new Metadata());
  }

  private void finish(Status status, Metadata trailers) {
    finish(status, trailers, Ending.HERE);
  }

  /**
   * Ends the call once, whoever ends it first: the server, the connection, the caller, the
   * deadline or the context.
   */
  private void finish(Status status, Metadata trailers, Ending ending) {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    Http2Connection.Stream open = stream;
    if (ending == Ending.HERE && open != null) {
      open.cancel();
    }
    cleanUp();
    tracers.forEach(tracer -> tracer.streamClosed(status));
    callbacks.execute(() -> {
      closeStatus = status;
      closeTrailers = trailers;
      drainFirst = ending == Ending.TRAILERS;
      deliver();
    });
  }

  /** Who ended a call, which says what becomes of its stream and of messages not delivered. */
  private enum Ending {
    /** This side (caller, deadline, context, a bad response): reset, undelivered dropped. */
    HERE,
    /** The server's trailers: the messages already read come first, as the server sent them. */
    TRAILERS,
    /** The stream was reset or the connection lost: undelivered messages dropped. */
    LOST
  }

  private void cleanUp() {
    ScheduledFuture<?> timer = deadlineTimer;
    if (timer != null) {
      timer.cancel(false);
    }
    context.removeListener(onContextCancelled);
  }

  private List<byte[]> requestHeaders(Metadata headers) {
    List<byte[]> fields = new ArrayList<>();
    add(fields, ":method", "POST");
    add(fields, ":scheme", "http");
    add(fields, ":path", "/" + method.getFullMethodName());
    add(fields, ":authority", channel.authority());
    fields.add(CONTENT_TYPE);
    fields.add(GRPC);
    fields.add(TE);
    fields.add(TRAILERS);
    add(fields, "user-agent", "minibit-cli");
    if (deadline != null) {
      add(fields, "grpc-timeout", timeout(deadline.timeRemaining(TimeUnit.NANOSECONDS)));
    }
    byte[][] custom = InternalMetadata.serialize(headers);
    for (int i = 0; i + 1 < custom.length; i += 2) {
      fields.add(custom[i]);
      fields.add(binary(custom[i]) ? Base64.getEncoder().withoutPadding().encode(custom[i + 1])
          : custom[i + 1]);
    }
    return fields;
  }

  /** Why the response's headers are not a gRPC answer, or null if they are. */
  private static Status responseProblem(List<byte[]> fields) {
    String httpStatus = value(fields, ":status");
    if (!"200".equals(httpStatus)) {
      return httpStatus(httpStatus);
    }
    String contentType = value(fields, "content-type");
    if (contentType == null || !contentType.startsWith("application/grpc")) {
      return Status.UNKNOWN.withDescription("the server answered with content-type "
          + contentType + ", not gRPC");
    }
    return null;
  }

  /** gRPC's reading of an HTTP status other than 200. */
  private static Status httpStatus(String code) {
    Status status = switch (code == null ? "" : code) {
      case "400", "431" -> Status.INTERNAL;
      case "401" -> Status.UNAUTHENTICATED;
      case "403" -> Status.PERMISSION_DENIED;
      case "404" -> Status.UNIMPLEMENTED;
      case "429", "502", "503", "504" -> Status.UNAVAILABLE;
      default -> Status.UNKNOWN;
    };
    return status.withDescription("the server answered with HTTP status " + code);
  }

  /** The header fields as gRPC metadata, pseudo-headers left out, binary values decoded. */
  private static Metadata metadata(List<byte[]> fields) {
    List<byte[]> serialized = new ArrayList<>();
    for (int i = 0; i + 1 < fields.size(); i += 2) {
      byte[] name = fields.get(i);
      if (name.length == 0 || name[0] == ':') {
        continue;
      }
      if (!binary(name)) {
        serialized.add(name);
        serialized.add(fields.get(i + 1));
        continue;
      }
      for (String part : new String(fields.get(i + 1), StandardCharsets.US_ASCII).split(",")) {
        try {
          byte[] decoded = Base64.getDecoder().decode(part.strip());
          serialized.add(name);
          serialized.add(decoded);
        } catch (IllegalArgumentException e) {
          // a value that is not base64: dropped, as gRPC's own transports do
        }
      }
    }
    return InternalMetadata.newMetadata(serialized.toArray(byte[][]::new));
  }

  private static String value(List<byte[]> fields, String name) {
    byte[] wanted = bytes(name);
    for (int i = 0; i + 1 < fields.size(); i += 2) {
      if (Arrays.equals(fields.get(i), wanted)) {
        return new String(fields.get(i + 1), StandardCharsets.ISO_8859_1);
      }
    }
    return null;
  }

  /** A grpc-timeout value: at most eight digits and a unit, as the protocol asks. */
  static String timeout(long nanos) {
    long cutoff = 100_000_000;
    long value = Math.max(nanos, 1);
    if (value < cutoff) {
      return value + "n";
    } else if (value < cutoff * 1_000) {
      return value / 1_000 + "u";
    } else if (value < cutoff * 1_000_000) {
      return value / 1_000_000 + "m";
    } else if (value < cutoff * 1_000_000_000) {
      return value / 1_000_000_000 + "S";
    } else if (value < cutoff * 1_000_000_000 * 60) {
      return value / (1_000_000_000L * 60) + "M";
    }
    return Math.min(value / (1_000_000_000L * 3600), 99_999_999) + "H";
  }

  /** A message read whole, and the window its bytes hold until the listener has it. */
  private record Inbound(byte[] bytes, int window) {}

  /** What went wrong, for a status's description: the message, or the kind of failure. */
  static String reason(Throwable e) {
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  /** The earlier of the call's deadline and its context's, or null if neither has one. */
  static Deadline deadline(CallOptions options, Context context) {
    Deadline call = options.getDeadline();
    Deadline inherited = context.getDeadline();
    return call == null ? inherited : inherited == null ? call : call.minimum(inherited);
  }

  private static boolean binary(byte[] name) {
    int n = name.length;
    return n > 4 && name[n - 4] == '-' && name[n - 3] == 'b' && name[n - 2] == 'i'
        && name[n - 1] == 'n';
  }

  private static void add(List<byte[]> fields, String name, String value) {
    fields.add(bytes(name));
    fields.add(value.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }
}
