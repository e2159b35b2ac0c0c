package io.minibit.core.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.minibit.core.grpc.ErrorMappingInterceptorTest.FailingTracker;
import io.minibit.core.testing.GrpcCleanup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ClientEventLoopTest {
  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();

  private static Set<Thread> clientThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> thread.getName().startsWith("minibit-client"))
        .collect(Collectors.toSet());
  }

  @Test
  void channelsRunOnTheLoopsThreadWhichClosingStops() throws Exception {
    GrpcServer server = grpc.register(GrpcServer.start(
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
        "server", List.of(), new FailingTracker()));
    ClientEventLoop loop = new ClientEventLoop();
    ManagedChannel channel =
        Channels.forTarget("127.0.0.1:" + server.port(), Optional.empty(), loop);

    ServingStatus status = HealthGrpc.newBlockingStub(channel)
        .check(HealthCheckRequest.getDefaultInstance()).getStatus();
    Set<Thread> threads = clientThreads();
    Channels.close(channel);
    loop.close();

    assertEquals(ServingStatus.SERVING, status);
    assertEquals(1, threads.size(), "the call's transport ran on one loop thread: " + threads);
    Thread thread = threads.iterator().next();
    assertTrue(thread.isDaemon(), "a loop thread never keeps the JVM alive");
    thread.join(2000); // it may still be returning from its run loop
    assertFalse(thread.isAlive(), "close() stops the thread, so the JVM need not wait for it");
  }
}
