package io.minibit.cli;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;

/**
 * Records how far one call got with its server, so a failure can be explained: an UNAVAILABLE
 * that the daemon sent ("no peer has the blocks") is not the same as an UNAVAILABLE because
 * nothing listens on the port. Both arrive as the same status code; only the transport knows
 * whether the server ever answered, and it tells a stream tracer.
 *
 * <p>Install one per call (with {@link #interceptor}); the transport threads write, the caller
 * reads after the call has ended.
 */
final class ServerContact {
  /** How far a call got with its server. */
  enum Reach {
    /** No stream ever reached the server: nothing listens, or the connection never came up. */
    NONE,
    /**
     * The request went out on a connection to the server, which had not answered when the call
     * ended: it is there, but busy, stuck, or gone since.
     */
    SENT,
    /** The server answered with headers, then the connection was lost before a status came. */
    CONNECTED,
    /** The status came from the server itself. */
    ANSWERED
  }

  private volatile boolean sent;
  private volatile boolean headers;
  private volatile boolean trailers;

  Reach reach() {
    if (trailers) {
      return Reach.ANSWERED;
    }
    if (headers) {
      return Reach.CONNECTED;
    }
    return sent ? Reach.SENT : Reach.NONE;
  }

  /** An interceptor that attaches this record's tracer to every call (and retry attempt). */
  ClientInterceptor interceptor() {
    ClientStreamTracer.Factory factory = new ClientStreamTracer.Factory() {
      @Override
      public ClientStreamTracer newClientStreamTracer(
          ClientStreamTracer.StreamInfo info, Metadata headers) {
        return new Tracer();
      }
    };
    return new ClientInterceptor() {
      @Override
      public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
          MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
        return next.newCall(method, options.withStreamTracerFactory(factory));
      }
    };
  }

  private final class Tracer extends ClientStreamTracer {
    @Override
    public void streamCreated(Attributes transportAttributes, Metadata metadata) {
      sent = true; // on a transport that is up: a connection to the server exists
    }

    @Override
    public void inboundHeaders() {
      headers = true;
    }

    @Override
    public void inboundMessage(int seqNo) {
      headers = true;
    }

    @Override
    public void inboundTrailers(Metadata metadata) {
      trailers = true;
    }
  }
}
