package io.minibit.cli.http2;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Attributes;
import io.grpc.BindableService;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientStreamTracer;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v2.DownloadRequest;
import io.minibit.api.v2.DownloadResponse;
import io.minibit.api.v2.ListTransfersRequest;
import io.minibit.api.v2.ListTransfersResponse;
import io.minibit.api.v2.PeerControlServiceGrpc;
import io.minibit.api.v2.PeerControlServiceGrpc.PeerControlServiceBlockingStub;
import io.minibit.api.v2.ShareRequest;
import io.minibit.api.v2.ShareResponse;
import io.minibit.api.v2.Transfer;
import io.minibit.core.grpc.Channels;
import io.minibit.core.grpc.UnixSockets;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves that {@link Http2Channel} carries gRPC calls to a real grpc-java Netty server on a Unix
 * socket as grpc-java's own channel would: messages under flow control, streams, metadata,
 * statuses, deadlines, cancellation, retries, reconnection, size limits, shutdown and tracers.
 */
@Timeout(60) // a transport that stalls fails the test rather than the build's 5 minutes
class Http2ChannelTest {
  /** How long anything that should happen at once may take before the test calls it a hang. */
  private static final long BOUND_SECONDS = 5;
  /**
   * The deadline of calls that would otherwise wait forever if the transport stalled: the test
   * then fails DEADLINE_EXCEEDED instead of hanging.
   */
  private static final long STALL_SECONDS = 10;

  private static final Metadata.Key<String> REASON =
      Metadata.Key.of("x-reason", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<byte[]> DETAIL =
      Metadata.Key.of("x-detail-bin", Metadata.BINARY_BYTE_MARSHALLER);
  /** Bytes no text header could carry: NUL, the high half, and base64's own characters. */
  private static final byte[] BINARY =
      {0, 1, 0x7f, (byte) 0x80, (byte) 0xfe, (byte) 0xff, 0, '=', ',', '/', '+'};

  @TempDir
  Path dir;
  private Path socket;
  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  /** Connections the servers of the test accepted. */
  private final AtomicInteger connections = new AtomicInteger();

  @BeforeEach
  void setUp() {
    socket = dir.resolve("control.sock");
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow(); // a test that failed half-way left it open; closed tests are no-ops
    }
    for (Server server : servers) {
      server.shutdownNow();
      assertTrue(server.awaitTermination(BOUND_SECONDS, SECONDS), "the server did not stop");
    }
  }

  // 1. Flow control.

  @Test
  void largeUnaryResponseArrivesWholeThroughTheFlowControlWindows() throws Exception {
    // Three times the 1 MiB stream window this client advertises: the server can only send it
    // all if the client gives the stream's and the connection's windows back as data arrives.
    ListTransfersResponse large = transfers(3 * 1024, 1024);
    assertTrue(large.getSerializedSize() > 3 << 20, "the response is too small to prove anything");
    serve(new PeerControlServiceGrpc.PeerControlServiceImplBase() {
      @Override
      public void listTransfers(ListTransfersRequest request,
          StreamObserver<ListTransfersResponse> responses) {
        responses.onNext(large);
        responses.onCompleted();
      }
    });
    Http2Channel channel = open();

    assertEquals(large, listTransfers(channel));
    // Twice: the windows the first call used must have come back for the second.
    assertEquals(large, listTransfers(channel));
    close(channel);
  }

  @Test
  void messageSmallerThanTheWindowArrivesAfterAnotherWasRead() throws Exception {
    // 400 KiB read leaves the stream's window at 624 KiB unless the client gives it back; a
    // 700 KiB message, well under the 1 MiB window, then fits only if it does, as it must.
    List<DownloadResponse> sent = List.of(progress(0, 400 << 10), progress(1, 700 << 10),
        progress(2, 10));
    serve(new PeerControlServiceGrpc.PeerControlServiceImplBase() {
      @Override
      public void download(DownloadRequest request, StreamObserver<DownloadResponse> responses) {
        sent.forEach(responses::onNext);
        responses.onCompleted();
      }
    });
    Http2Channel channel = open();

    assertEquals(sent, readAll(blocking(channel).download(downloadRequest("big.iso"))));
    close(channel);
  }

  // 2. Server streaming.

  @Test
  void serverStreamArrivesWholeInOrderAndThenEnds() throws Exception {
    // Every tenth message is larger than a 16 KiB frame, so messages span DATA frames and frames
    // hold the end of one message and the start of the next.
    List<DownloadResponse> sent = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      sent.add(progress(i, i % 10 == 0 ? 40_000 + i : 50 + i));
    }
    serve(new PeerControlServiceGrpc.PeerControlServiceImplBase() {
      @Override
      public void download(DownloadRequest request, StreamObserver<DownloadResponse> responses) {
        sent.forEach(responses::onNext);
        responses.onCompleted();
      }
    });
    Http2Channel channel = open();

    Iterator<DownloadResponse> responses = blocking(channel).download(downloadRequest("a.iso"));
    assertEquals(sent, readAll(responses));
    assertFalse(responses.hasNext()); // ended, and stays ended
    close(channel);
  }

  // 3. Many calls, one connection.

  @Test
  void sequentialAndConcurrentCallsShareOneConnection() throws Exception {
    serve(echoShares());
    Http2Channel channel = open();

    for (int i = 0; i < 20; i++) {
      assertEquals("sequential-" + i, share(channel, "sequential-" + i).getName());
    }
    // Each answer must be its own request's: streams that mixed their frames up would not be.
    ExecutorService threads = Executors.newFixedThreadPool(16);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<List<String>>> results = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        int thread = t;
        results.add(threads.submit(() -> {
          go.await();
          List<String> names = new ArrayList<>();
          for (int i = 0; i < 10; i++) {
            names.add(share(channel, "thread-" + thread + "-call-" + i).getName());
          }
          return names;
        }));
      }
      go.countDown();
      for (int t = 0; t < 16; t++) {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
          expected.add("thread-" + t + "-call-" + i);
        }
        assertEquals(expected, results.get(t).get(STALL_SECONDS, SECONDS));
      }
    } finally {
      threads.shutdownNow();
    }
    assertEquals(1, connections.get(), "calls did not share one connection");
    close(channel);
  }

  @Test
  void largeRequestWaitsForTheServersWindows() throws Exception {
    // 2 MiB: more than the 64 KiB the client may send before the server's first WINDOW_UPDATE,
    // and more than the server's 1 MiB stream window.
    serve(new PeerControlServiceGrpc.PeerControlServiceImplBase() {
      @Override
      public void share(ShareRequest request, StreamObserver<ShareResponse> responses) {
        responses.onNext(ShareResponse.newBuilder().setSize(request.getPath().length())
            .setName(request.getPath().substring(0, 16)).build());
        responses.onCompleted();
      }
    });
    Http2Channel channel = open();

    String path = "0123456789abcdef".repeat(128 * 1024);
    ShareResponse response = share(channel, path);
    assertEquals(path.length(), response.getSize());
    assertEquals("0123456789abcdef", response.getName());
    close(channel);
  }

  // 4. Error statuses and trailers.

  @Test
  void errorStatusAndCustomTrailersReachTheClientIntact() throws Exception {
    String description = "caf\u00e9 50% \u2713";
    serve(new PeerControlServiceGrpc.PeerControlServiceImplBase() {
      @Override
      public void listTransfers(ListTransfersRequest request,
          StreamObserver<ListTransfersResponse> responses) {
        // No message first: a Trailers-Only response, one HEADERS frame with END_STREAM.
        responses.onError(Status.NOT_FOUND.withDescription(description)
            .asRuntimeException(trailers("no such torrent")));
      }

      @Override
      public void download(DownloadRequest request, StreamObserver<DownloadResponse> responses) {
        // Headers and a message first: the status comes in a second header block.
        responses.onNext(progress(0, 10));
        responses.onError(Status.DATA_LOSS.withDescription(description)
            .asRuntimeException(trailers("hash mismatch")));
      }
    });
    Http2Channel channel = open();

    StatusRuntimeException unary =
        assertThrows(StatusRuntimeException.class, () -> listTransfers(channel));
    assertEquals(Code.NOT_FOUND, unary.getStatus().getCode());
    assertEquals(description, unary.getStatus().getDescription());
    Metadata unaryTrailers = Status.trailersFromThrowable(unary);
    assertNotNull(unaryTrailers, "no trailers");
    assertEquals("no such torrent", unaryTrailers.get(REASON));
    assertArrayEquals(BINARY, unaryTrailers.get(DETAIL));

    Iterator<DownloadResponse> responses = blocking(channel).download(downloadRequest("x"));
    assertEquals(progress(0, 10), responses.next());
    StatusRuntimeException streamed =
        assertThrows(StatusRuntimeException.class, responses::hasNext);
    assertEquals(Code.DATA_LOSS, streamed.getStatus().getCode());
    assertEquals(description, streamed.getStatus().getDescription());
    Metadata streamedTrailers = Status.trailersFromThrowable(streamed);
    assertNotNull(streamedTrailers, "no trailers");
    assertEquals("hash mismatch", streamedTrailers.get(REASON));
    assertArrayEquals(BINARY, streamedTrailers.get(DETAIL));
    close(channel);
  }

  // 5. Request metadata.

  @Test
  void headersAnInterceptorAddsReachTheServerExactly() throws Exception {
    Metadata.Key<String> client = Metadata.Key.of("x-client", Metadata.ASCII_STRING_MARSHALLER);
    Metadata.Key<byte[]> token = Metadata.Key.of("x-token-bin", Metadata.BINARY_BYTE_MARSHALLER);
    String clientValue = "minibit-cli/test (q=0.9; \"quoted\") ~!#$%&'*+-.^_`|";
    AtomicReference<Metadata> seen = new AtomicReference<>();
    ServerInterceptor recorder = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        seen.set(headers);
        return next.startCall(call, headers);
      }
    };
    serve(echoShares(), recorder);
    ClientInterceptor adder = new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method,
          CallOptions options, Channel next) {
        return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<R> listener, Metadata headers) {
            headers.put(client, clientValue);
            headers.put(client, "second value");
            headers.put(token, BINARY);
            super.start(listener, headers);
          }
        };
      }
    };
    Http2Channel channel = open(adder);

    assertEquals("a", share(channel, "a").getName());
    Metadata headers = seen.get();
    assertEquals(List.of(clientValue, "second value"), list(headers.getAll(client)));
    assertArrayEquals(BINARY, headers.get(token));
    close(channel);
  }

  // 6. Deadlines.

  @Test
  void deadlineIsSentEnforcedAndCancelsTheServersCall() throws Exception {
    AtomicReference<Deadline> serverDeadline = new AtomicReference<>();
    CountDownLatch cancelled = new CountDownLatch(1);
    serve(new PeerControlServiceGrpc.PeerControlServiceImplBase() {
      @Override
      public void listTransfers(ListTransfersRequest request,
          StreamObserver<ListTransfersResponse> responses) {
        serverDeadline.set(Context.current().getDeadline());
        ((ServerCallStreamObserver<ListTransfersResponse>) responses)
            .setOnCancelHandler(cancelled::countDown);
        // Never answers.
      }
    });
    Http2Channel channel = open();

    long start = System.nanoTime();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> PeerControlServiceGrpc.newBlockingStub(channel).withDeadlineAfter(300, MILLISECONDS)
            .listTransfers(ListTransfersRequest.getDefaultInstance()));
    long tookMillis = (System.nanoTime() - start) / 1_000_000;
    assertEquals(Code.DEADLINE_EXCEEDED, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(tookMillis >= 250 && tookMillis < BOUND_SECONDS * 1000, "took " + tookMillis);
    // The server knew the deadline: grpc-timeout was sent, and said no more than 300 ms.
    Deadline deadline = serverDeadline.get();
    assertNotNull(deadline, "the server saw no deadline: no grpc-timeout");
    long remaining = deadline.timeRemaining(MILLISECONDS);
    assertTrue(remaining <= 300, "the server's deadline is " + remaining + " ms away");
    assertTrue(cancelled.await(BOUND_SECONDS, SECONDS), "the server's call was not cancelled");
    close(channel);
  }

  // 7. Context cancellation.

  @Test
  void cancellingTheContextCancelsTheStreamOnBothSides() throws Exception {
    CountDownLatch cancelled = new CountDownLatch(1);
    serve(new PeerControlServiceGrpc.PeerControlServiceImplBase() {
      @Override
      public void download(DownloadRequest request, StreamObserver<DownloadResponse> responses) {
        ((ServerCallStreamObserver<DownloadResponse>) responses)
            .setOnCancelHandler(cancelled::countDown);
        responses.onNext(progress(0, 10));
        // Then nothing: only the client's cancellation ends the stream.
      }
    });
    Http2Channel channel = open();

    Context.CancellableContext context = Context.current().withCancellation();
    Context previous = context.attach();
    try {
      Iterator<DownloadResponse> responses = blocking(channel).download(downloadRequest("x"));
      assertEquals(progress(0, 10), responses.next());
      context.cancel(null);
      assertTrue(cancelled.await(BOUND_SECONDS, SECONDS), "the server's stream was not cancelled");
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, responses::hasNext);
      assertEquals(Code.CANCELLED, e.getStatus().getCode(), e.getStatus().toString());
    } finally {
      context.detach(previous);
    }
    close(channel);
  }

  // 8. Retries.

  @Test
  void unavailableListTransfersIsRetriedUntilItSucceeds() throws Exception {
    AtomicInteger requests = new AtomicInteger();
    ListTransfersResponse answer = transfers(2, 10);
    serve(new PeerControlServiceGrpc.PeerControlServiceImplBase() {
      @Override
      public void listTransfers(ListTransfersRequest request,
          StreamObserver<ListTransfersResponse> responses) {
        if (requests.incrementAndGet() <= 2) {
          responses.onError(Status.UNAVAILABLE.withDescription("tracker down").asException());
        } else {
          responses.onNext(answer);
          responses.onCompleted();
        }
      }
    });
    Http2Channel channel = open();

    assertEquals(answer, listTransfers(channel));
    assertEquals(3, requests.get());
    close(channel);
  }

  @Test
  void unavailableDownloadIsNotRetried() throws Exception {
    AtomicInteger requests = new AtomicInteger();
    serve(new PeerControlServiceGrpc.PeerControlServiceImplBase() {
      @Override
      public void download(DownloadRequest request, StreamObserver<DownloadResponse> responses) {
        requests.incrementAndGet();
        responses.onError(Status.UNAVAILABLE.withDescription("no peers").asException());
      }
    });
    Http2Channel channel = open();

    Iterator<DownloadResponse> responses = blocking(channel).download(downloadRequest("x"));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, responses::hasNext);
    assertEquals(Code.UNAVAILABLE, e.getStatus().getCode());
    assertEquals("no peers", e.getStatus().getDescription());
    // A retrying call reports its failure only after its last attempt: one request means none.
    assertEquals(1, requests.get());
    close(channel);
  }

  @Test
  void invalidArgumentIsNotRetried() throws Exception {
    AtomicInteger requests = new AtomicInteger();
    serve(new PeerControlServiceGrpc.PeerControlServiceImplBase() {
      @Override
      public void listTransfers(ListTransfersRequest request,
          StreamObserver<ListTransfersResponse> responses) {
        requests.incrementAndGet();
        responses.onError(Status.INVALID_ARGUMENT.withDescription("bad").asException());
      }
    });
    Http2Channel channel = open();

    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class, () -> listTransfers(channel));
    assertEquals(Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertEquals(1, requests.get());
    close(channel);
  }

  @Test
  void unavailableAfterTheServerAnsweredIsNotRetried() throws Exception {
    AtomicInteger requests = new AtomicInteger();
    serve(new PeerControlServiceGrpc.PeerControlServiceImplBase() {
      @Override
      public void listTransfers(ListTransfersRequest request,
          StreamObserver<ListTransfersResponse> responses) {
        requests.incrementAndGet();
        // Headers and a message, then the status: the call is committed to this attempt.
        responses.onNext(transfers(1, 10));
        responses.onError(Status.UNAVAILABLE.withDescription("lost it").asException());
      }
    });
    Http2Channel channel = open();

    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class, () -> listTransfers(channel));
    assertEquals(Code.UNAVAILABLE, e.getStatus().getCode());
    assertEquals("lost it", e.getStatus().getDescription());
    assertEquals(1, requests.get());
    close(channel);
  }

  // 9. Nothing listening.

  @Test
  void missingSocketFailsUnavailableAfterTheRetriesOrAtOnce() throws Exception {
    RecordingTracers tracers = new RecordingTracers();
    Http2Channel channel = Http2Channel.forSocket(dir.resolve("nobody-home.sock"),
        tracers.interceptor());
    channels.add(channel);

    long start = System.nanoTime();
    StatusRuntimeException retried =
        assertThrows(StatusRuntimeException.class, () -> listTransfers(channel));
    long tookMillis = (System.nanoTime() - start) / 1_000_000;
    assertEquals(Code.UNAVAILABLE, retried.getStatus().getCode(), retried.getStatus().toString());
    assertTrue(tookMillis < BOUND_SECONDS * 1000, "took " + tookMillis + " ms");
    assertEquals(List.of(0, 1, 2, 3), tracers.previousAttempts, "not the policy's 4 attempts");

    tracers.previousAttempts.clear();
    Iterator<DownloadResponse> responses = blocking(channel).download(downloadRequest("x"));
    StatusRuntimeException once = assertThrows(StatusRuntimeException.class, responses::hasNext);
    assertEquals(Code.UNAVAILABLE, once.getStatus().getCode(), once.getStatus().toString());
    assertEquals(List.of(0), tracers.previousAttempts);
    close(channel);
  }

  // 10. The server goes away, and comes back.

  @Test
  void serverGoingAwayEndsTheStreamAndTheChannelReconnects() throws Exception {
    ListTransfersResponse answer = transfers(1, 10);
    PeerControlServiceGrpc.PeerControlServiceImplBase service =
        new PeerControlServiceGrpc.PeerControlServiceImplBase() {
          @Override
          public void download(DownloadRequest request,
              StreamObserver<DownloadResponse> responses) {
            responses.onNext(progress(0, 10)); // and never ends
          }

          @Override
          public void listTransfers(ListTransfersRequest request,
              StreamObserver<ListTransfersResponse> responses) {
            responses.onNext(answer);
            responses.onCompleted();
          }
        };
    Server first = serve(service);
    Http2Channel channel = open();

    Iterator<DownloadResponse> responses = blocking(channel).download(downloadRequest("x"));
    assertEquals(progress(0, 10), responses.next());
    first.shutdownNow();
    assertTrue(first.awaitTermination(BOUND_SECONDS, SECONDS));
    // The stream must end, not wait for its deadline. A grpc-java server's shutdownNow resets
    // open streams with RST_STREAM(CANCEL) before it closes the socket, which grpc-java's own
    // Netty client reports as CANCELLED (every time, when tried); this client does too, unless
    // the socket breaks before it reads the reset: UNAVAILABLE.
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, responses::hasNext);
    assertTrue(Set.of(Code.CANCELLED, Code.UNAVAILABLE).contains(e.getStatus().getCode()),
        e.getStatus().toString());

    serve(service); // the same path, a new server
    assertEquals(answer, listTransfers(channel));
    assertEquals(2, connections.get());
    close(channel);
  }

  // 11. The message size limit.

  @Test
  void oversizedResponseFailsResourceExhaustedAndTheChannelGoesOn() throws Exception {
    ListTransfersResponse oversized = transfers(6 * 1024, 1024);
    assertTrue(oversized.getSerializedSize() > Channels.MAX_INBOUND_MESSAGE_BYTES);
    ListTransfersResponse small = transfers(3, 10);
    AtomicInteger requests = new AtomicInteger();
    serve(new PeerControlServiceGrpc.PeerControlServiceImplBase() {
      @Override
      public void listTransfers(ListTransfersRequest request,
          StreamObserver<ListTransfersResponse> responses) {
        responses.onNext(requests.incrementAndGet() == 1 ? oversized : small);
        responses.onCompleted();
      }
    });
    Http2Channel channel = open();

    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class, () -> listTransfers(channel));
    assertEquals(Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getStatus().toString());
    assertEquals(small, listTransfers(channel));
    assertEquals(1, connections.get(), "the oversized response cost the connection");
    close(channel);
  }

  // 12. Shutdown.

  @Test
  void shutdownTerminatesAndLaterCallsFailUnavailable() throws Exception {
    serve(echoShares());
    Http2Channel channel = open();
    assertEquals("a", share(channel, "a").getName()); // a connection to close

    channel.shutdown();
    assertTrue(channel.isShutdown());
    assertTrue(channel.awaitTermination(BOUND_SECONDS, SECONDS), "the channel did not terminate");
    assertTrue(channel.isTerminated());

    Iterator<DownloadResponse> responses = blocking(channel).download(downloadRequest("x"));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, responses::hasNext);
    assertEquals(Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
  }

  @Test
  void retriedCallAfterShutdownFailsUnavailable() throws Exception {
    serve(echoShares());
    Http2Channel channel = open();
    channel.shutdown();
    assertTrue(channel.awaitTermination(BOUND_SECONDS, SECONDS), "the channel did not terminate");

    // Async, so a call that never ends fails the test instead of hanging it: the policy retries
    // UNAVAILABLE, and the retry must not need the channel's (shut down) timer to end the call.
    Outcome<ShareResponse> outcome = new Outcome<>();
    PeerControlServiceGrpc.newStub(channel).share(ShareRequest.newBuilder().setPath("a").build(),
        outcome);
    assertEquals(Code.UNAVAILABLE, outcome.failure().getCode());
  }

  @Test
  void shutdownNowEndsAnOpenStreamUnavailable() throws Exception {
    serve(new PeerControlServiceGrpc.PeerControlServiceImplBase() {
      @Override
      public void download(DownloadRequest request, StreamObserver<DownloadResponse> responses) {
        responses.onNext(progress(0, 10)); // and never ends
      }
    });
    Http2Channel channel = open();
    Iterator<DownloadResponse> responses = blocking(channel).download(downloadRequest("x"));
    assertEquals(progress(0, 10), responses.next());

    channel.shutdownNow();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, responses::hasNext);
    assertEquals(Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(channel.awaitTermination(BOUND_SECONDS, SECONDS), "the channel did not terminate");
    assertTrue(channel.isTerminated());
  }

  @Test
  void shutdownNowEndsARetriedCallBetweenAttempts() throws Exception {
    CountDownLatch tried = new CountDownLatch(1);
    serve(new PeerControlServiceGrpc.PeerControlServiceImplBase() {
      @Override
      public void listTransfers(ListTransfersRequest request,
          StreamObserver<ListTransfersResponse> responses) {
        responses.onError(Status.UNAVAILABLE.withDescription("not yet").asException());
        tried.countDown();
      }
    });
    Http2Channel channel = open();
    Outcome<ListTransfersResponse> outcome = new Outcome<>();
    PeerControlServiceGrpc.newStub(channel)
        .listTransfers(ListTransfersRequest.getDefaultInstance(), outcome);
    assertTrue(tried.await(BOUND_SECONDS, SECONDS));

    // The call now waits up to 200 ms for its second attempt, or is making it: either way,
    // shutdownNow must end it.
    channel.shutdownNow();
    assertEquals(Code.UNAVAILABLE, outcome.failure().getCode());
    assertTrue(channel.awaitTermination(BOUND_SECONDS, SECONDS), "the channel did not terminate");
  }

  // 13. Stream tracers.

  @Test
  void tracerHearsEveryStepOfASuccessfulCall() throws Exception {
    ListTransfersResponse answer = transfers(2, 10);
    serve(new PeerControlServiceGrpc.PeerControlServiceImplBase() {
      @Override
      public void listTransfers(ListTransfersRequest request,
          StreamObserver<ListTransfersResponse> responses) {
        responses.onNext(answer);
        responses.onCompleted();
      }
    });
    RecordingTracers tracers = new RecordingTracers();
    Http2Channel channel = open(tracers.interceptor());

    assertEquals(answer, listTransfers(channel));
    // A unary call: the server answers only after the request is whole, so the order is fixed.
    assertEquals(List.of("streamCreated", "outboundHeaders", "outboundMessage 0",
        "inboundHeaders", "inboundMessage 0", "inboundTrailers", "streamClosed OK"),
        tracers.events);
    close(channel);
  }

  @Test
  void tracerHearsOfNoStreamWhenNothingListens() throws Exception {
    RecordingTracers tracers = new RecordingTracers();
    Http2Channel channel = Http2Channel.forSocket(dir.resolve("nobody-home.sock"),
        tracers.interceptor());
    channels.add(channel);

    Iterator<DownloadResponse> responses = blocking(channel).download(downloadRequest("x"));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, responses::hasNext);
    assertEquals(Code.UNAVAILABLE, e.getStatus().getCode());
    assertEquals(List.of(0), tracers.previousAttempts, "no tracer was made for the call");
    // The CLI reads "no streamCreated" as "nothing listens" (ServerContact.Reach.NONE).
    assertFalse(tracers.events.contains("streamCreated"), tracers.events.toString());
    close(channel);
  }

  // 14. The listener's side of a call, through the raw ClientCall API.

  @Test
  void messagesReadBeforeAnErrorStatusAreDeliveredBeforeIt() throws Exception {
    // The listener asks for nothing until the server has sent its messages and its status: the
    // messages must still come, then the status, as grpc-java's own channel delivers them.
    CountDownLatch sent = new CountDownLatch(1);
    serve(new PeerControlServiceGrpc.PeerControlServiceImplBase() {
      @Override
      public void download(DownloadRequest request, StreamObserver<DownloadResponse> responses) {
        for (int i = 0; i < 3; i++) {
          responses.onNext(progress(i, 10));
        }
        responses.onError(Status.UNAVAILABLE.withDescription("no peers").asRuntimeException());
        sent.countDown();
      }
    });
    Http2Channel channel = open();
    Events events = new Events();
    ClientCall<DownloadRequest, DownloadResponse> call =
        channel.newCall(PeerControlServiceGrpc.getDownloadMethod(), CallOptions.DEFAULT);
    call.start(events, new Metadata());
    call.sendMessage(downloadRequest("x"));
    call.halfClose();
    assertTrue(sent.await(BOUND_SECONDS, SECONDS), "the server did not answer");
    events.awaitHeaders();

    call.request(3);

    assertEquals(List.of("message 0", "message 1", "message 2", "close UNAVAILABLE no peers"),
        events.awaitClose());
    close(channel);
  }

  @Test
  void aListenerThatThrowsEndsItsCallCancelledOnce() throws Exception {
    serve(new PeerControlServiceGrpc.PeerControlServiceImplBase() {
      @Override
      public void download(DownloadRequest request, StreamObserver<DownloadResponse> responses) {
        for (int i = 0; i < 3; i++) {
          responses.onNext(progress(i, 10));
        }
        responses.onCompleted();
      }
    });
    Http2Channel channel = open();
    Events events = new Events() {
      @Override
      public void onMessage(DownloadResponse message) {
        super.onMessage(message);
        throw new IllegalStateException("the listener broke");
      }
    };
    ClientCall<DownloadRequest, DownloadResponse> call =
        channel.newCall(PeerControlServiceGrpc.getDownloadMethod(), CallOptions.DEFAULT);
    call.start(events, new Metadata());
    call.sendMessage(downloadRequest("x"));
    call.halfClose();

    call.request(3);

    assertEquals(List.of("message 0", "close CANCELLED the call's listener failed"),
        events.awaitClose());
    close(channel);
  }

  @Test
  void aCallCancelledBeforeItStartsClosesWhenStartedAndSendsNothing() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    serve(new PeerControlServiceGrpc.PeerControlServiceImplBase() {
      @Override
      public void download(DownloadRequest request, StreamObserver<DownloadResponse> responses) {
        calls.incrementAndGet();
        responses.onCompleted();
      }

      @Override
      public void share(ShareRequest request, StreamObserver<ShareResponse> responses) {
        calls.incrementAndGet();
        responses.onNext(ShareResponse.getDefaultInstance());
        responses.onCompleted();
      }
    });
    Http2Channel channel = open();
    // Download goes straight to the stream; Share through the retrying call.
    for (MethodDescriptor<?, ?> method : List.of(PeerControlServiceGrpc.getDownloadMethod(),
        PeerControlServiceGrpc.getShareMethod())) {
      Events events = new Events();
      ClientCall<?, ?> call = channel.newCall(method, CallOptions.DEFAULT);
      call.cancel("not wanted", null);
      @SuppressWarnings("unchecked")
      ClientCall<?, DownloadResponse> started = (ClientCall<?, DownloadResponse>) call;
      started.start(events, new Metadata());

      List<String> seen = events.awaitClose();
      assertEquals(1, seen.size(), seen.toString());
      assertTrue(seen.get(0).startsWith("close CANCELLED"), seen.toString());
    }
    // A call the server does get, after those: had they gone out, it would have counted them.
    assertEquals(ShareResponse.getDefaultInstance(), share(channel, "/x"));
    assertEquals(1, calls.get());
    close(channel);
  }

  @Test
  void theChannelTerminatesOnlyOnceItsLastListenerHasHeardItsClose() throws Exception {
    // A command exits once its channel has terminated: a close still on its way to a listener
    // (which ends a span, say) would be lost.
    serve(new PeerControlServiceGrpc.PeerControlServiceImplBase() {
      @Override
      public void download(DownloadRequest request, StreamObserver<DownloadResponse> responses) {
        responses.onNext(progress(0, 10)); // and never ends
      }
    });
    Http2Channel channel = open();
    CountDownLatch release = new CountDownLatch(1);
    Events events = new Events() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        super.onClose(status, trailers);
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    ClientCall<DownloadRequest, DownloadResponse> call =
        channel.newCall(PeerControlServiceGrpc.getDownloadMethod(), CallOptions.DEFAULT);
    call.start(events, new Metadata());
    call.sendMessage(downloadRequest("x"));
    call.halfClose();
    call.request(1);
    events.awaitHeaders();

    call.cancel("done with it", null);
    List<String> seen = events.awaitClose();
    assertEquals("close CANCELLED done with it", seen.get(seen.size() - 1), seen.toString());
    channel.shutdown();

    assertFalse(channel.awaitTermination(300, MILLISECONDS), "terminated during onClose");
    assertFalse(channel.isTerminated());
    release.countDown();
    assertTrue(channel.awaitTermination(BOUND_SECONDS, SECONDS), "did not terminate after it");
  }

  // Helpers.

  private Server serve(BindableService service, ServerInterceptor... interceptors)
      throws IOException {
    Server server = UnixSockets.serverBuilder(socket)
        .addService(ServerInterceptors.intercept(service, interceptors))
        .addTransportFilter(new ServerTransportFilter() {
          @Override
          public Attributes transportReady(Attributes attributes) {
            connections.incrementAndGet();
            return attributes;
          }
        })
        .build()
        .start();
    servers.add(server);
    return server;
  }

  private Http2Channel open(ClientInterceptor... interceptors) {
    Http2Channel channel = Http2Channel.forSocket(socket, interceptors);
    channels.add(channel);
    return channel;
  }

  /** Shuts {@code channel} down as a command does when it is done, and checks that it ends. */
  private static void close(ManagedChannel channel) throws InterruptedException {
    channel.shutdown();
    assertTrue(channel.awaitTermination(BOUND_SECONDS, SECONDS), "the channel did not terminate");
    assertTrue(channel.isTerminated());
  }

  private static PeerControlServiceBlockingStub blocking(Channel channel) {
    return PeerControlServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(STALL_SECONDS, SECONDS);
  }

  private static ListTransfersResponse listTransfers(Channel channel) {
    return blocking(channel).listTransfers(ListTransfersRequest.getDefaultInstance());
  }

  private static ShareResponse share(Channel channel, String path) {
    return blocking(channel).share(ShareRequest.newBuilder().setPath(path).build());
  }

  /** A service whose Share answers with the request's path as the name. */
  private static BindableService echoShares() {
    return new PeerControlServiceGrpc.PeerControlServiceImplBase() {
      @Override
      public void share(ShareRequest request, StreamObserver<ShareResponse> responses) {
        responses.onNext(ShareResponse.newBuilder().setName(request.getPath()).build());
        responses.onCompleted();
      }
    };
  }

  private static Metadata trailers(String reason) {
    Metadata trailers = new Metadata();
    trailers.put(REASON, reason);
    trailers.put(DETAIL, BINARY);
    return trailers;
  }

  /** {@code count} transfers with names of {@code nameLength} characters, each different. */
  private static ListTransfersResponse transfers(int count, int nameLength) {
    ListTransfersResponse.Builder response = ListTransfersResponse.newBuilder()
        .setTracker("tracker.example:6969");
    for (int i = 0; i < count; i++) {
      response.addTransfers(transfer(i, nameLength));
    }
    return response.build();
  }

  private static DownloadResponse progress(int i, int nameLength) {
    return DownloadResponse.newBuilder().setTransfer(transfer(i, nameLength)).build();
  }

  private static Transfer transfer(int i, int nameLength) {
    String prefix = String.format("%08d:", i);
    String name = (prefix + String.valueOf((char) ('a' + i % 26)).repeat(nameLength))
        .substring(0, Math.max(nameLength, prefix.length()));
    return Transfer.newBuilder().setInfohash(String.format("%040x", i)).setName(name)
        .setSize(i * 1_000_003L).setBlocksHave(i).build();
  }

  private static DownloadRequest downloadRequest(String name) {
    return DownloadRequest.newBuilder().setName(name).build();
  }

  private static <T> List<T> readAll(Iterator<T> iterator) {
    List<T> all = new ArrayList<>();
    iterator.forEachRemaining(all::add);
    return all;
  }

  private static <T> List<T> list(Iterable<T> values) {
    List<T> all = new ArrayList<>();
    if (values != null) {
      values.forEach(all::add);
    }
    return all;
  }

  /** How an async call ended, awaited with a bound. */
  private static final class Outcome<T> implements StreamObserver<T> {
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile Throwable error;

    @Override
    public void onNext(T value) {}

    @Override
    public void onError(Throwable t) {
      error = t;
      ended.countDown();
    }

    @Override
    public void onCompleted() {
      ended.countDown();
    }

    /** The status the call failed with; fails the test if it never ended, or succeeded. */
    Status failure() throws InterruptedException {
      assertTrue(ended.await(BOUND_SECONDS, SECONDS), "the call never ended");
      assertNotNull(error, "the call succeeded");
      return Status.fromThrowable(error);
    }
  }

  /** Stream tracers, installed as the CLI installs its own, that write down what they hear. */
  private static final class RecordingTracers extends ClientStreamTracer.Factory {
    final List<String> events = new CopyOnWriteArrayList<>();
    final List<Integer> previousAttempts = new CopyOnWriteArrayList<>();

    @Override
    public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info,
        Metadata headers) {
      previousAttempts.add(info.getPreviousAttempts());
      return new ClientStreamTracer() {
        @Override
        public void streamCreated(Attributes transportAttributes, Metadata headers) {
          events.add("streamCreated");
        }

        @Override
        public void outboundHeaders() {
          events.add("outboundHeaders");
        }

        @Override
        public void outboundMessage(int seqNo) {
          events.add("outboundMessage " + seqNo);
        }

        @Override
        public void inboundHeaders() {
          events.add("inboundHeaders");
        }

        @Override
        public void inboundMessage(int seqNo) {
          events.add("inboundMessage " + seqNo);
        }

        @Override
        public void inboundTrailers(Metadata trailers) {
          events.add("inboundTrailers");
        }

        @Override
        public void streamClosed(Status status) {
          events.add("streamClosed " + status.getCode());
        }
      };
    }

    ClientInterceptor interceptor() {
      return new ClientInterceptor() {
        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method,
            CallOptions options, Channel next) {
          return next.newCall(method, options.withStreamTracerFactory(RecordingTracers.this));
        }
      };
    }
  }

  /** What a raw call's listener heard, in order, with bounded waits for its headers and end. */
  private static class Events extends ClientCall.Listener<DownloadResponse> {
    private final List<String> seen = new CopyOnWriteArrayList<>();
    private final CountDownLatch headers = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);

    @Override
    public void onHeaders(Metadata metadata) {
      headers.countDown();
    }

    @Override
    public void onMessage(DownloadResponse message) {
      seen.add("message " + Integer.parseInt(message.getTransfer().getName().substring(0, 8)));
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      seen.add("close " + status.getCode()
          + (status.getDescription() == null ? "" : " " + status.getDescription()));
      closed.countDown();
    }

    void awaitHeaders() throws InterruptedException {
      assertTrue(headers.await(BOUND_SECONDS, SECONDS), "no headers came");
    }

    /** Everything heard once the call has closed; fails if it does not close in time. */
    List<String> awaitClose() throws InterruptedException {
      assertTrue(closed.await(BOUND_SECONDS, SECONDS), "the call did not close: " + seen);
      return List.copyOf(seen);
    }
  }
}
