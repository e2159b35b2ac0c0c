package io.minibit.core.telemetry;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.function.Supplier;

/**
 * Hands a caller's sampled trace on, and does nothing else: for a process that exports no spans.
 * A served call whose caller sampled its trace runs in that trace's context, so the calls it
 * makes carry the context on to processes that do export; every other call passes untouched
 * (one header lookup on the server, one flag test on the client). Thread-safe.
 */
final class TraceRelay implements ClientInterceptor, ServerInterceptor {
  private static final Metadata.Key<String> TRACEPARENT =
      Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);

  private static final TextMapSetter<Metadata> SETTER = (headers, name, value) ->
      headers.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value);

  private static final TextMapGetter<Metadata> GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Metadata headers) {
      return headers.keys();
    }

    @Override
    public String get(Metadata headers, String name) {
      return headers == null ? null
          : headers.get(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER));
    }
  };

  private final TextMapPropagator propagator;

  TraceRelay(TextMapPropagator propagator) {
    this.propagator = propagator;
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method,
      CallOptions options, Channel next) {
    Context context = Context.current();
    if (!Span.fromContext(context).getSpanContext().isSampled()) {
      return next.newCall(method, options);
    }
    return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
      @Override
      public void start(Listener<R> listener, Metadata headers) {
        propagator.inject(context, headers, SETTER);
        super.start(listener, headers);
      }
    };
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    if (!headers.containsKey(TRACEPARENT)) {
      return next.startCall(call, headers);
    }
    Context context = propagator.extract(Context.root(), headers, GETTER);
    if (!Span.fromContext(context).getSpanContext().isSampled()) {
      return next.startCall(call, headers);
    }
    return new InContext<>(within(context, () -> next.startCall(call, headers)), context);
  }

  private static <T> T within(Context context, Supplier<T> action) {
    try (Scope ignored = context.makeCurrent()) {
      return action.get();
    }
  }

  /** A listener whose every callback runs in the caller's trace context. */
  private static final class InContext<Q> extends SimpleForwardingServerCallListener<Q> {
    private final Context context;

    InContext(ServerCall.Listener<Q> delegate, Context context) {
      super(delegate);
      this.context = context;
    }

    @Override
    public void onMessage(Q message) {
      try (Scope ignored = context.makeCurrent()) {
        super.onMessage(message);
      }
    }

    @Override
    public void onHalfClose() {
      try (Scope ignored = context.makeCurrent()) {
        super.onHalfClose();
      }
    }

    @Override
    public void onCancel() {
      try (Scope ignored = context.makeCurrent()) {
        super.onCancel();
      }
    }

    @Override
    public void onComplete() {
      try (Scope ignored = context.makeCurrent()) {
        super.onComplete();
      }
    }

    @Override
    public void onReady() {
      try (Scope ignored = context.makeCurrent()) {
        super.onReady();
      }
    }
  }
}
