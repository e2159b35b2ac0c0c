package io.minibit.peer.telemetry;

import io.minibit.core.Torrent;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.IdGenerator;

/**
 * The trace of one download: a root span "download" from the request to the verified file, a
 * child span per serving peer (with the blocks and bytes it delivered) holding the GetBlocks calls
 * made to it, and, through the gRPC
 * instrumentation, the tracker calls and the remote peers' server spans under it. The download
 * engine only says what happens; the spans are made here. Thread-safe.
 */
public final class DownloadTrace {
  public static final AttributeKey<String> INFOHASH = AttributeKey.stringKey("minibit.infohash");
  public static final AttributeKey<String> NAME = AttributeKey.stringKey("minibit.name");
  public static final AttributeKey<Long> SIZE = AttributeKey.longKey("minibit.size");
  public static final AttributeKey<String> PEER = AttributeKey.stringKey("minibit.peer");
  public static final AttributeKey<Long> BLOCKS = AttributeKey.longKey("minibit.blocks");
  public static final AttributeKey<Long> BYTES = AttributeKey.longKey("minibit.bytes");

  /**
   * A context whose calls are not traced: pings and subscriptions, which would otherwise make a
   * trace each every few seconds. Its parent is marked not sampled, so the parent-based sampler
   * (the default) drops their spans here and, as the flag travels with the calls, on the peers
   * they go to.
   */
  private static final Context UNTRACED = Context.root().with(Span.wrap(SpanContext.create(
      IdGenerator.random().generateTraceId(), IdGenerator.random().generateSpanId(),
      TraceFlags.getDefault(), TraceState.getDefault())));

  private final Tracer tracer;
  private final Span span;
  private final Context context;

  private DownloadTrace(Tracer tracer, Span span) {
    this.tracer = tracer;
    this.span = span;
    this.context = Context.root().with(span);
  }

  /**
   * Starts the root span of a download of {@code what} (a name or an infohash, until the
   * manifest says more); it links to the span of the call that asked for it, if any.
   */
  public static DownloadTrace start(Tracer tracer, String what) {
    SpanBuilder builder = tracer.spanBuilder("download").setNoParent()
        .setAttribute("minibit.request", what);
    var caller = Span.current().getSpanContext();
    if (caller.isValid()) {
      builder.addLink(caller);
    }
    return new DownloadTrace(tracer, builder.startSpan());
  }

  /** The context of calls that should not be traced (see {@link #UNTRACED}). */
  public static Context untraced() {
    return UNTRACED;
  }

  /** Names the torrent once its manifest is known. */
  public void torrent(Torrent torrent) {
    span.setAttribute(INFOHASH, torrent.infoHash().hex());
    span.setAttribute(NAME, torrent.name());
    span.setAttribute(SIZE, torrent.size());
  }

  /** The download's context: calls made in it are spans of this trace. */
  public Context context() {
    return context;
  }

  /** Runs {@code action} with the download span current (so its gRPC calls join the trace). */
  public <T, E extends Exception> T within(ThrowingSupplier<T, E> action) throws E {
    Scope scope = context.makeCurrent();
    try {
      return action.get();
    } finally {
      scope.close();
    }
  }

  /** A supplier that may throw. */
  @FunctionalInterface
  public interface ThrowingSupplier<T, E extends Exception> {
    T get() throws E;
  }

  /**
   * Starts the span of one serving peer: the GetBlocks calls to {@code peer} are made in its
   * context, and it counts the blocks and bytes they delivered until {@link Source#end}.
   */
  public Source source(String peer) {
    Span source = tracer.spanBuilder("peer " + peer).setParent(context)
        .setAttribute(PEER, peer)
        .startSpan();
    return new Source(source);
  }

  /** The span of one peer the download fetched from. Thread-safe. */
  public static final class Source {
    private final Span span;
    private final Context context;
    private final java.util.concurrent.atomic.LongAdder blocks =
        new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder bytes =
        new java.util.concurrent.atomic.LongAdder();

    private Source(Span span) {
      this.span = span;
      this.context = Context.root().with(span);
    }

    /** The context its gRPC calls run in. */
    public Context context() {
      return context;
    }

    /** One more block, {@code length} bytes, came from this peer and was stored. */
    public void delivered(int length) {
      blocks.increment();
      bytes.add(length);
    }

    /** Ends it with what the peer delivered. */
    public void end() {
      span.setAttribute(BLOCKS, blocks.sum());
      span.setAttribute(BYTES, bytes.sum());
      span.end();
    }
  }

  /** Ends the download span: completed, or failed with {@code failure}. */
  public void end(Throwable failure) {
    if (failure != null) {
      span.recordException(failure);
      span.setStatus(StatusCode.ERROR, String.valueOf(failure.getMessage()));
    }
    span.end();
  }

  /** Ends it as having found a download already running (nothing new started). */
  public void endAttached() {
    span.setAttribute("minibit.attached", true);
    span.end();
  }
}
