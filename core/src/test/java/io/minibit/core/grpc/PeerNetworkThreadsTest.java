package io.minibit.core.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A peer server built with {@link PeerNetworkThreads#applyTo} serves many connections on its
 * few threads, and peer channels read on theirs.
 */
class PeerNetworkThreadsTest {
  /** Answers with the name of the thread that served the call. */
  private static final MethodDescriptor<byte[], byte[]> WHO =
      MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("test.Threads/Who")
          .setRequestMarshaller(RawBytes.INSTANCE)
          .setResponseMarshaller(RawBytes.INSTANCE)
          .build();

  private final List<ManagedChannel> channels = new ArrayList<>();
  private Server server;

  @AfterEach
  void close() throws Exception {
    channels.forEach(Channels::close);
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void oneThreadPerTwoCoresAndAtLeastOne() {
    assertEquals(Math.max(1, Runtime.getRuntime().availableProcessors() / 2),
        PeerNetworkThreads.PER_SIDE);
  }

  @Test
  void aPeerServerServesEveryConnectionOnItsOwnFewThreads() throws Exception {
    int port = start();
    Set<String> serving = new HashSet<>();
    for (int i = 0; i < 2 * PeerNetworkThreads.PER_SIDE + 2; i++) { // a connection each
      ManagedChannel channel = Channels.forTarget("127.0.0.1:" + port);
      channels.add(channel);
      serving.add(call(channel).server());
    }

    assertTrue(serving.stream().allMatch(name -> name.startsWith("minibit-peer-server-")),
        "served on: " + serving);
    assertTrue(serving.size() <= PeerNetworkThreads.PER_SIDE, "served on: " + serving);
  }

  @Test
  void aPeerChannelReadsOnThePeerLinkThreads() throws Exception {
    assumeTrue(Epoll.isAvailable(), "peer channels have threads of their own on epoll only");
    int port = start();
    ManagedChannel channel = Channels.toPeer("127.0.0.1:" + port, Optional.empty());
    channels.add(channel);

    String reader = call(channel).client();

    assertTrue(reader.startsWith("minibit-peer-link-"), "answer read on " + reader);
  }

  @Test
  void aDownloadLoopRunsOnAPeerLinkThreadWhereChannelsHaveTheirOwn() throws Exception {
    assertEquals(ReadBatching.applies(), PeerNetworkThreads.downloadLoop().isPresent());
    assumeTrue(ReadBatching.applies(), "peer channels have threads of their own on epoll only");
    OneThreadExecutor loop = PeerNetworkThreads.downloadLoop().orElseThrow();
    CompletableFuture<String> ranOn = new CompletableFuture<>();
    CompletableFuture<Boolean> ownThread = new CompletableFuture<>();
    loop.execute(() -> {
      ownThread.complete(loop.isCurrentThread());
      ranOn.complete(Thread.currentThread().getName());
    });

    String thread = ranOn.get(10, TimeUnit.SECONDS);
    assertTrue(thread.startsWith("minibit-peer-link-"), thread);
    assertTrue(ownThread.get(), "a task sees it runs on the loop's thread");
    assertFalse(loop.isCurrentThread(), "the test's thread is not the loop's");
    if (PeerNetworkThreads.PER_SIDE == 1) { // one thread: the one that reads peer channels
      int port = start();
      ManagedChannel channel = Channels.toPeer("127.0.0.1:" + port, Optional.empty());
      channels.add(channel);
      assertEquals(thread, call(channel).client());
    }
  }

  private record Threads(String server, String client) {}

  /** One call on {@code channel}: the thread that served it, and the one its answer came on. */
  private static Threads call(ManagedChannel channel) throws Exception {
    CompletableFuture<Threads> answer = new CompletableFuture<>();
    ClientCalls.asyncUnaryCall(channel.newCall(WHO, CallOptions.DEFAULT), new byte[0],
        new StreamObserver<>() {
          @Override
          public void onNext(byte[] name) {
            answer.complete(new Threads(new String(name, StandardCharsets.UTF_8),
                Thread.currentThread().getName()));
          }

          @Override
          public void onError(Throwable t) {
            answer.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    return answer.get(10, TimeUnit.SECONDS);
  }

  /** Starts a peer server on the loopback interface; returns its port. */
  private int start() throws Exception {
    ServerServiceDefinition service = ServerServiceDefinition.builder("test.Threads")
        .addMethod(WHO, ServerCalls.asyncUnaryCall((request, response) -> {
          response.onNext(Thread.currentThread().getName().getBytes(StandardCharsets.UTF_8));
          response.onCompleted();
        }))
        .build();
    server = PeerNetworkThreads.applyTo(NettyServerBuilder
            .forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))
        .directExecutor()
        .addService(service)
        .build()
        .start();
    return server.getPort();
  }
}
