package io.minibit.core.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.extension.RegisterExtension;

class DelayProxyTest {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  /** Bound on every blocking read, accept and wait, so a broken proxy fails instead of hanging. */
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final int ROUND_TRIPS = 5;

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();

  @Test
  void bytesPassBothWaysUnchanged() throws Exception {
    EchoServer echo = cleanup.register(new EchoServer());
    DelayProxy proxy = cleanup.register(DelayProxy.start(echo.address(), Duration.ofMillis(5)));
    byte[] payload = TestFiles.randomBytes(5 * 1024 * 1024, 42);

    assertArrayEquals(payload, echoThrough(proxy, payload));
    Await.until(TIMEOUT, "both counters to reach the payload size",
        () -> List.of(proxy.bytesForwardedToTarget(), proxy.bytesForwardedToClient()),
        counts -> counts.equals(List.of((long) payload.length, (long) payload.length)));
  }

  @Test
  void roundTripCostsTwiceTheOneWayDelay(TestReporter reporter) throws Exception {
    EchoServer echo = cleanup.register(new EchoServer());
    DelayProxy far = cleanup.register(DelayProxy.start(echo.address(), Duration.ofMillis(50)));
    DelayProxy near = cleanup.register(DelayProxy.start(echo.address(), Duration.ZERO));

    Duration farRoundTrip = fastestRoundTrip(far);
    Duration nearRoundTrip = fastestRoundTrip(near);

    reporter.publishEntry("fastest round trip, 50 ms proxy", farRoundTrip.toString());
    reporter.publishEntry("fastest round trip, 0 ms proxy", nearRoundTrip.toString());
    assertAtLeast(Duration.ofMillis(100), farRoundTrip);
    assertAtMost(Duration.ofMillis(20), nearRoundTrip);
  }

  @Test
  void setDelaySlowsChunksReadAfterIt(TestReporter reporter) throws Exception {
    EchoServer echo = cleanup.register(new EchoServer());
    DelayProxy proxy = cleanup.register(DelayProxy.start(echo.address(), Duration.ZERO));

    try (Socket socket = connect(proxy)) {
      Duration before = fastestRoundTrip(socket);
      proxy.setDelay(Duration.ofMillis(50));
      Duration after = fastestRoundTrip(socket);

      reporter.publishEntry("fastest round trip before and after setDelay(50 ms)",
          before + " -> " + after);
      assertEquals(Duration.ofMillis(50), proxy.delay());
      assertAtMost(Duration.ofMillis(20), before);
      assertAtLeast(Duration.ofMillis(100), after);
    }
  }

  @Test
  void throughputIsNotSerializedByTheDelay(TestReporter reporter) throws Exception {
    Duration delay = Duration.ofMillis(20);
    EchoServer echo = cleanup.register(new EchoServer());
    DelayProxy proxy = cleanup.register(DelayProxy.start(echo.address(), delay));
    byte[] payload = TestFiles.randomBytes(8 * 1024 * 1024, 7);
    // The proxy reads at most MAX_CHUNK_BYTES at a time, so each way takes at least this many
    // chunks; a proxy that waited out the delay before reading on would need chunks x delay.
    int chunks = payload.length / DelayProxy.MAX_CHUNK_BYTES;
    Duration serialized = delay.multipliedBy(chunks);

    long start = System.nanoTime();
    byte[] echoed = echoThrough(proxy, payload);
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

    reporter.publishEntry("8 MiB echoed through a 20 ms proxy in", elapsed.toString());
    assertArrayEquals(payload, echoed);
    assertAtMost(serialized.dividedBy(4), elapsed);
  }

  @Test
  void endOfStreamPropagatesEachWayAfterTheBytesBeforeIt() throws Exception {
    ServerSocket server = cleanup.register(listen());
    DelayProxy proxy = cleanup.register(DelayProxy.start(address(server), Duration.ofMillis(10)));
    Socket client = cleanup.register(connect(proxy));
    Socket accepted = cleanup.register(accept(server));

    client.getOutputStream().write(new byte[] {1, 2, 3});
    client.shutdownOutput();
    assertArrayEquals(new byte[] {1, 2, 3}, accepted.getInputStream().readAllBytes());

    // Half-closed: the other direction still flows until the server ends it too.
    accepted.getOutputStream().write(4);
    accepted.shutdownOutput();
    assertArrayEquals(new byte[] {4}, client.getInputStream().readAllBytes());
  }

  @Test
  void aResetOnOneSideResetsTheOther() throws Exception {
    ServerSocket server = cleanup.register(listen());
    DelayProxy proxy = cleanup.register(DelayProxy.start(address(server), Duration.ZERO));
    Socket client = cleanup.register(connect(proxy));
    Socket accepted = cleanup.register(accept(server));

    accepted.setSoLinger(true, 0);
    accepted.close();

    InputStream in = client.getInputStream();
    SocketException e = assertThrows(SocketException.class, in::read);
    assertTrue(e.getMessage().contains("reset"), e::getMessage);
  }

  @Test
  void closeEndsLiveConnectionsTheListenerAndEveryThread() throws Exception {
    ServerSocket server = cleanup.register(listen());
    DelayProxy proxy = cleanup.register(DelayProxy.start(address(server), Duration.ZERO));
    Socket client = cleanup.register(connect(proxy));
    Socket accepted = cleanup.register(accept(server));
    client.getOutputStream().write(9);
    assertEquals(9, accepted.getInputStream().read());
    assertFalse(proxyThreads(proxy.port()).isEmpty(), "the live connection has threads");

    proxy.close();

    assertPeerClosed(client);
    assertPeerClosed(accepted);
    assertThrows(ConnectException.class, () -> new Socket(LOOPBACK, proxy.port()).close());
    assertEquals(List.of(), proxyThreads(proxy.port()));
  }

  @Test
  void aGrpcCallThroughTheProxyPaysTheRoundTrip(TestReporter reporter) throws Exception {
    HealthStatusManager health = new HealthStatusManager();
    health.setStatus("", ServingStatus.SERVING);
    Server server = cleanup.register(
        NettyServerBuilder.forAddress(new InetSocketAddress(LOOPBACK, 0))
            .addService(health.getHealthService())
            .build()
            .start());
    DelayProxy proxy = cleanup.register(
        DelayProxy.start(new InetSocketAddress(LOOPBACK, server.getPort()), Duration.ofMillis(30)));
    ManagedChannel channel = cleanup.register(
        NettyChannelBuilder.forTarget(proxy.address()).usePlaintext().build());

    assertEquals(ServingStatus.SERVING, check(channel)); // connects: several round trips
    Duration fastest = Duration.ofDays(1);
    for (int i = 0; i < ROUND_TRIPS; i++) {
      long start = System.nanoTime();
      assertEquals(ServingStatus.SERVING, check(channel));
      fastest = min(fastest, Duration.ofNanos(System.nanoTime() - start));
    }

    reporter.publishEntry("fastest unary call through a 30 ms proxy", fastest.toString());
    assertAtLeast(Duration.ofMillis(60), fastest);
  }

  @Test
  void rejectsANegativeDelay() throws Exception {
    InetSocketAddress anywhere = new InetSocketAddress(LOOPBACK, 9);
    assertThrows(IllegalArgumentException.class,
        () -> DelayProxy.start(anywhere, Duration.ofMillis(-1)));
    DelayProxy proxy = cleanup.register(DelayProxy.start(anywhere, Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> proxy.setDelay(Duration.ofMillis(-1)));
  }

  private static ServingStatus check(ManagedChannel channel) {
    return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance()).getStatus();
  }

  /** Sends {@code payload} through the proxy to an echo server, half-closes, returns the echo. */
  private static byte[] echoThrough(DelayProxy proxy, byte[] payload) throws Exception {
    try (Socket socket = connect(proxy)) {
      // Send and receive at once: a payload larger than the buffers on the way would deadlock.
      FutureTask<Void> send = new FutureTask<>(() -> {
        socket.getOutputStream().write(payload);
        socket.shutdownOutput();
        return null;
      });
      Thread sender = new Thread(send, "delay-proxy-test-sender");
      sender.setDaemon(true);
      sender.start();
      byte[] echoed = socket.getInputStream().readAllBytes();
      send.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return echoed;
    }
  }

  private static Duration fastestRoundTrip(DelayProxy proxy) throws IOException {
    try (Socket socket = connect(proxy)) {
      return fastestRoundTrip(socket);
    }
  }

  /** The fastest of a few 16-byte ping-pongs with the echo server behind {@code socket}. */
  private static Duration fastestRoundTrip(Socket socket) throws IOException {
    OutputStream out = socket.getOutputStream();
    InputStream in = socket.getInputStream();
    Duration fastest = Duration.ofDays(1);
    for (int i = 0; i < ROUND_TRIPS; i++) {
      byte[] ping = TestFiles.randomBytes(16, i);
      long start = System.nanoTime();
      out.write(ping);
      byte[] pong = in.readNBytes(ping.length);
      fastest = min(fastest, Duration.ofNanos(System.nanoTime() - start));
      assertArrayEquals(ping, pong);
    }
    return fastest;
  }

  /** Asserts the peer of {@code socket} closed it: end of stream, or a reset. Not a time-out. */
  private static void assertPeerClosed(Socket socket) throws IOException {
    try {
      assertEquals(-1, socket.getInputStream().read());
    } catch (SocketException e) {
      assertTrue(e.getMessage().contains("reset"), e::getMessage);
    }
  }

  private static List<String> proxyThreads(int port) {
    String prefix = "delay-proxy-" + port + "-";
    return Thread.getAllStackTraces().keySet().stream()
        .map(Thread::getName)
        .filter(name -> name.startsWith(prefix))
        .toList();
  }

  private static ServerSocket listen() throws IOException {
    ServerSocket server = new ServerSocket(0, 50, LOOPBACK);
    server.setSoTimeout(Math.toIntExact(TIMEOUT.toMillis()));
    return server;
  }

  private static InetSocketAddress address(ServerSocket server) {
    return new InetSocketAddress(LOOPBACK, server.getLocalPort());
  }

  private static Socket accept(ServerSocket server) throws IOException {
    return bounded(server.accept());
  }

  private static Socket connect(DelayProxy proxy) throws IOException {
    return bounded(new Socket(LOOPBACK, proxy.port()));
  }

  private static Socket bounded(Socket socket) throws IOException {
    socket.setTcpNoDelay(true);
    socket.setSoTimeout(Math.toIntExact(TIMEOUT.toMillis()));
    return socket;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static void assertAtLeast(Duration floor, Duration actual) {
    assertTrue(actual.compareTo(floor) >= 0, () -> actual + " is under " + floor);
  }

  private static void assertAtMost(Duration ceiling, Duration actual) {
    assertTrue(actual.compareTo(ceiling) <= 0, () -> actual + " is over " + ceiling);
  }

  /** Echoes each connection's bytes back, and half-closes when the client does. */
  private static final class EchoServer implements AutoCloseable {
    private final ServerSocket listener = new ServerSocket(0, 50, LOOPBACK);
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<Thread> handlers = new CopyOnWriteArrayList<>();
    private final Thread acceptor = new Thread(this::acceptLoop, "echo-accept");

    EchoServer() throws IOException {
      acceptor.setDaemon(true);
      acceptor.start();
    }

    InetSocketAddress address() {
      return new InetSocketAddress(LOOPBACK, listener.getLocalPort());
    }

    private void acceptLoop() {
      while (true) {
        Socket socket;
        try {
          socket = listener.accept();
        } catch (IOException e) {
          return; // closed
        }
        sockets.add(socket);
        Thread handler = new Thread(() -> echo(socket), "echo-connection");
        handler.setDaemon(true);
        handlers.add(handler);
        handler.start();
      }
    }

    private static void echo(Socket socket) {
      try (socket) {
        socket.setTcpNoDelay(true);
        socket.getInputStream().transferTo(socket.getOutputStream());
        socket.shutdownOutput();
      } catch (IOException e) {
        // the client went away; nothing to echo to
      }
    }

    @Override
    public void close() throws Exception {
      listener.close();
      acceptor.join(TIMEOUT.toMillis());
      for (Socket socket : sockets) {
        socket.close();
      }
      for (Thread handler : handlers) {
        handler.join(TIMEOUT.toMillis());
      }
    }
  }
}
