package io.minibit.core.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.minibit.core.grpc.ErrorMappingInterceptorTest.FailingTracker;
import io.minibit.core.testing.GrpcCleanup;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class HealthProbeTest {
  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  /** The probe as the image runs it: a real channel to a real port. */
  private int probe(String... args) {
    return probe(target -> NettyChannelBuilder.forTarget(target).usePlaintext().build(), args);
  }

  private int probe(Function<String, ManagedChannel> channels, String... args) {
    return HealthProbe.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), channels);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private GrpcServer startNetty() throws Exception {
    return GrpcServer.start(
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
        "probed server", List.of(), new FailingTracker());
  }

  @Test
  void aServingServerPasses() throws Exception {
    GrpcServer server = grpc.register(startNetty());

    assertEquals(0, probe("127.0.0.1:" + server.port()));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("SERVING"), out::toString);
    assertEquals(0, probe("--service", "minibit.v2.TrackerService", "127.0.0.1:" + server.port()));
  }

  @Test
  void anUnknownServiceFails() throws Exception {
    GrpcServer server = grpc.register(startNetty());

    assertEquals(1, probe("--service", "minibit.v2.Nothing", "127.0.0.1:" + server.port()));
    assertTrue(err().contains("NOT_FOUND"), err());
  }

  @Test
  void aStoppedServerFails() throws Exception {
    GrpcServer server = startNetty();
    int port = server.port();
    server.close();

    assertEquals(1, probe("127.0.0.1:" + port));
    assertTrue(err().contains("UNAVAILABLE"), err());
  }

  @Test
  void aServerThatReportsNotServingFails() throws Exception {
    String name = InProcessServerBuilder.generateName();
    HealthStatusManager health = new HealthStatusManager();
    health.setStatus("", ServingStatus.NOT_SERVING);
    grpc.register(InProcessServerBuilder.forName(name).directExecutor()
        .addService(health.getHealthService()).build().start());

    int status = probe(target -> InProcessChannelBuilder.forName(target).build(), name);

    assertEquals(1, status);
    assertTrue(err().contains("NOT_SERVING"), err());
  }

  @Test
  void aServerThatNeverAnswersFailsWithinTheTimeout() throws Exception {
    // Accepts the connection and says nothing: only the deadline ends the check.
    try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CountDownLatch testDone = new CountDownLatch(1);
      Thread acceptor = new Thread(() -> {
        try (Socket connection = silent.accept()) {
          testDone.await(); // holds the connection open, unanswered, until the test is over
        } catch (Exception e) {
          // closed or interrupted at the end of the test
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      long start = System.nanoTime();

      int status = probe("--timeout", "0.5", "127.0.0.1:" + silent.getLocalPort());

      long millis = (System.nanoTime() - start) / 1_000_000;
      testDone.countDown();
      assertEquals(1, status);
      assertTrue(err().contains("DEADLINE_EXCEEDED"), err());
      assertTrue(millis < 10_000, "took " + millis + " ms");
    }
  }

  @Test
  void aBadCommandLineIsAUsageError() {
    assertEquals(2, probe());
    assertTrue(err().contains("missing HOST:PORT"), err());
    assertEquals(2, probe("--timeout", "soon", "127.0.0.1:1"));
    assertEquals(2, probe("--timeout", "0", "127.0.0.1:1"));
    assertEquals(2, probe("--service"));
    assertEquals(2, probe("127.0.0.1:1", "127.0.0.1:2"));
    assertEquals(2, probe("--port", "1"));
  }
}
