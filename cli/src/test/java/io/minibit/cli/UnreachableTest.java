package io.minibit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v2.ListTransfersRequest;
import io.minibit.api.v2.ListTransfersResponse;
import io.minibit.api.v2.PeerControlServiceGrpc;

import io.minibit.core.grpc.Channels;
import io.minibit.core.grpc.ClientEventLoop;
import io.minibit.core.grpc.UnixSockets;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Commands against a daemon or tracker that is not there: exit 4 and one line that says so. */
class UnreachableTest {
  @RegisterExtension
  final CliHarness cli = new CliHarness();

  /** A loopback port nothing listens on: bound by the OS, then released. */
  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  @Test
  void aDaemonOnAClosedPortCannotBeReached() throws IOException {
    String address = "127.0.0.1:" + closedPort();

    // The production channel: Netty, MiniBit's retry policy, a real refused connection.
    CliHarness.Result result = cli.run(Channels::forTarget, "status", "--peer", address);

    assertEquals(ExitCodes.UNAVAILABLE, result.exitCode(), result.toString());
    assertEquals("", result.out());
    assertEquals(List.of("minibit: cannot reach the peer daemon at " + address
        + " (is minibit-peer running?)"), result.errLines());
  }

  @Test
  void aSocketNoDaemonListensOnCannotBeReached(@TempDir Path dir) {
    String address = "unix:" + dir.resolve("control.sock");

    // The production channel over a Unix socket: the file does not exist.
    CliHarness.Result result = cli.run(Channels::forTarget, "status", "--peer", address);

    assertEquals(ExitCodes.UNAVAILABLE, result.exitCode(), result.toString());
    assertEquals(List.of("minibit: cannot reach the peer daemon at " + address
        + " (is minibit-peer running?)"), result.errLines());
  }

  @Test
  void anUnavailableAnswerOverTcpIsQuotedNotMistakenForNoDaemon() throws IOException {
    FakePeerControl daemon = new FakePeerControl();
    daemon.failure = Status.UNAVAILABLE.withDescription("the tracker at t:6969 is unreachable");
    Server server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(daemon)
        .build()
        .start();
    try {
      CliHarness.Result result = cli.run(Channels::forTarget, "status",
          "--peer", "127.0.0.1:" + server.getPort());

      assertEquals(ExitCodes.UNAVAILABLE, result.exitCode(), result.toString());
      assertEquals(List.of("minibit: the tracker at t:6969 is unreachable"), result.errLines());
    } finally {
      server.shutdownNow();
    }
  }

  @Test
  void aDaemonThatTakesTheCallButDoesNotAnswerInTimeIsNotCalledUnreachable() throws Exception {
    // A daemon busy with something long (hashing a big file, say) holds a call past its
    // deadline: it is there, and "cannot reach" would send the user looking for a dead process.
    Server server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(silentDaemon())
        .build()
        .start();
    try {
      assertDidNotAnswerInTime(Channels::forTarget, "127.0.0.1:" + server.getPort());
    } finally {
      server.shutdownNow();
    }
  }

  @Test
  void aDaemonThatGoesAwayMidDownloadIsALostConnection() {
    cli.peer.snapshots = List.of(Snapshots.downloading(10));
    cli.peer.afterSnapshots = cli::stopServer;

    CliHarness.Result result = cli.run("get", "big.iso");

    assertEquals(ExitCodes.UNAVAILABLE, result.exitCode(), result.toString());
    assertEquals("", result.out());
    String last = result.errLines().get(result.errLines().size() - 1);
    assertTrue(last.startsWith("minibit: lost the connection to the peer daemon at "
        + ControlAddress.defaultAddress()),
        result.toString());
  }

  @Test
  void getFailsWhenTheDaemonIsNotThere() {
    CliHarness.Result result = cli.run(CliHarness::channelToNowhere, "get", "big.iso");

    assertEquals(ExitCodes.UNAVAILABLE, result.exitCode(), result.toString());
    assertEquals("", result.out());
    assertEquals(List.of("minibit: cannot reach the peer daemon at "
        + ControlAddress.defaultAddress() + " (is minibit-peer running?)"), result.errLines());
  }

  @Test
  void everyDaemonCommandSaysWhichServiceIsMissing() {
    for (String[] args : List.of(new String[] {"share", "x"}, new String[] {"status"},
        new String[] {"remove", Snapshots.INFOHASH})) {
      CliHarness.Result result = cli.run(CliHarness::channelToNowhere, args);

      assertEquals(ExitCodes.UNAVAILABLE, result.exitCode(), result.toString());
      assertEquals(List.of("minibit: cannot reach the peer daemon at "
          + ControlAddress.defaultAddress() + " (is minibit-peer running?)"), result.errLines());
    }
  }

  @Test
  void anUnexpectedErrorIsOneLineNotAStackTrace() {
    ChannelFactory broken = target -> {
      throw new IllegalStateException("no transport available");
    };

    CliHarness.Result result = cli.run(broken, "status");

    assertEquals(ExitCodes.FAILURE, result.exitCode(), result.toString());
    assertEquals(List.of("minibit: unexpected IllegalStateException: no transport available"),
        result.errLines());
  }

  @Test
  void aMissingTrackerIsNamedAsSuch() {
    CliHarness.Result result = cli.run(CliHarness::channelToNowhere, "torrents",
        "--tracker", "tracker.lan:6969");

    assertEquals(ExitCodes.UNAVAILABLE, result.exitCode(), result.toString());
    assertEquals(List.of("minibit: cannot reach the tracker at tracker.lan:6969"
        + " (is minibit-tracker running?)"), result.errLines());
  }

  // The same failures on the daemon's socket, through the channel a command really opens there
  // (an Http2Channel): each must be told apart as it is over Netty.

  @Test
  void aSocketNoDaemonListensOnCannotBeReachedThroughTheCommandsChannel(@TempDir Path dir) {
    String address = "unix:" + dir.resolve("control.sock");

    try (ClientEventLoop loop = new ClientEventLoop()) {
      CliHarness.Result result = cli.run(CliContext.channels(loop), "status", "--peer", address);

      assertEquals(ExitCodes.UNAVAILABLE, result.exitCode(), result.toString());
      assertEquals(List.of("minibit: cannot reach the peer daemon at " + address
          + " (is minibit-peer running?)"), result.errLines());
    }
  }

  @Test
  void anUnavailableAnswerOnTheSocketIsQuotedNotMistakenForNoDaemon(@TempDir Path dir)
      throws IOException {
    FakePeerControl daemon = new FakePeerControl();
    daemon.failure = Status.UNAVAILABLE.withDescription("the tracker at t:6969 is unreachable");
    Path socket = dir.resolve("control.sock");
    Server server = UnixSockets.serverBuilder(socket).addService(daemon).build().start();
    try (ClientEventLoop loop = new ClientEventLoop()) {
      CliHarness.Result result = cli.run(CliContext.channels(loop), "status",
          "--peer", "unix:" + socket);

      assertEquals(ExitCodes.UNAVAILABLE, result.exitCode(), result.toString());
      assertEquals(List.of("minibit: the tracker at t:6969 is unreachable"), result.errLines());
      assertEquals(4, daemon.requests.size(), "the retry policy's four attempts");
    } finally {
      server.shutdownNow();
    }
  }

  @Test
  void aDaemonOnTheSocketThatDoesNotAnswerInTimeIsNotCalledUnreachable(@TempDir Path dir)
      throws Exception {
    Path socket = dir.resolve("control.sock");
    Server server = UnixSockets.serverBuilder(socket).addService(silentDaemon()).build().start();
    try (ClientEventLoop loop = new ClientEventLoop()) {
      assertDidNotAnswerInTime(CliContext.channels(loop), "unix:" + socket);
    } finally {
      server.shutdownNow();
    }
  }

  @Test
  void aDaemonThatStopsMidDownloadSaysSoOverEitherChannel(@TempDir Path dir) throws IOException {
    // A daemon stopping resets the calls it still serves (RST_STREAM CANCEL): grpc-java's
    // channel and the socket's own read that as CANCELLED alike.
    Path socket = dir.resolve("control.sock");
    FakePeerControl onSocket = new FakePeerControl();
    Server socketServer = UnixSockets.serverBuilder(socket).addService(onSocket).build();
    FakePeerControl onPort = new FakePeerControl();
    Server portServer = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(onPort).build();
    for (FakePeerControl daemon : List.of(onSocket, onPort)) {
      daemon.snapshots = List.of(Snapshots.downloading(10));
    }
    onSocket.afterSnapshots = () -> stopUnderTheCall(socketServer);
    onPort.afterSnapshots = () -> stopUnderTheCall(portServer);
    socketServer.start();
    portServer.start();
    try (ClientEventLoop loop = new ClientEventLoop()) {
      for (String address : List.of("unix:" + socket, "127.0.0.1:" + portServer.getPort())) {
        CliHarness.Result result = cli.run(CliContext.channels(loop), "get", "big.iso",
            "--peer", address);

        assertEquals(ExitCodes.UNAVAILABLE, result.exitCode(), result.toString());
        assertEquals("minibit: the peer daemon at " + address
            + " stopped the call (is it shutting down?)",
            result.errLines().get(result.errLines().size() - 1), result.toString());
      }
    } finally {
      socketServer.shutdownNow();
      portServer.shutdownNow();
    }
  }

  @Test
  void aDaemonOnTheSocketThatDiesWithTheCallIsALostConnection(@TempDir Path dir)
      throws Exception {
    // A daemon that takes the connection and the request, then is gone (killed, crashed): the
    // socket ends under the call.
    Path socket = dir.resolve("control.sock");
    try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        ClientEventLoop loop = new ClientEventLoop()) {
      listener.bind(UnixDomainSocketAddress.of(socket));
      CompletableFuture<Boolean> read = CompletableFuture.supplyAsync(() -> {
        try (SocketChannel connection = listener.accept()) {
          return readUntil(connection, "PeerControlService/Download"); // the request's HEADERS
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });

      CliHarness.Result result = cli.run(CliContext.channels(loop), "get", "big.iso",
          "--peer", "unix:" + socket);

      assertTrue(read.get(10, TimeUnit.SECONDS), "the request reached the socket");
      assertEquals(ExitCodes.UNAVAILABLE, result.exitCode(), result.toString());
      // What comes after the colon depends on which the client saw first: the end of the
      // socket ("the server closed the connection") or a write that failed ("Broken pipe").
      assertEquals(1, result.errLines().size(), result.toString());
      assertTrue(result.errLines().get(0).startsWith(
          "minibit: lost the connection to the peer daemon at unix:" + socket + ": "),
          result.toString());
    }
  }

  /**
   * Stops {@code server} from inside one of its calls, and returns once that call has been reset:
   * a handler that went on at once could end its call normally first.
   */
  private static void stopUnderTheCall(Server server) {
    CountDownLatch reset = new CountDownLatch(1);
    Context.current().addListener(context -> reset.countDown(), Runnable::run);
    server.shutdownNow();
    try {
      assertTrue(reset.await(10, TimeUnit.SECONDS), "the call was not reset");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A daemon that takes ListTransfers and never answers it (busy hashing a big file, say). */
  private static PeerControlServiceGrpc.PeerControlServiceImplBase silentDaemon() {
    return new PeerControlServiceGrpc.PeerControlServiceImplBase() {
      @Override
      public void listTransfers(ListTransfersRequest request,
          StreamObserver<ListTransfersResponse> response) {
        // never answers
      }
    };
  }

  /** A call to the daemon at {@code address} that outlives its deadline is not "unreachable". */
  private static void assertDidNotAnswerInTime(ChannelFactory channels, String address) {
    try (ServiceConnection connection = ServiceConnection.open(channels,
        Endpoint.peerDaemon(address))) {
      CliFailure failure = assertThrows(CliFailure.class, () -> connection.call(channel ->
          PeerControlServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(300, TimeUnit.MILLISECONDS)
              .listTransfers(ListTransfersRequest.getDefaultInstance())));

      assertEquals(ExitCodes.UNAVAILABLE, failure.exitCode());
      assertEquals("the peer daemon at " + address + " did not answer in time",
          failure.getMessage());
    }
  }

  /** Reads {@code connection} until {@code text} has come (true) or the stream ends (false). */
  private static boolean readUntil(SocketChannel connection, String text) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
    while (connection.read(buffer) >= 0) {
      String seen = new String(buffer.array(), 0, buffer.position(), StandardCharsets.ISO_8859_1);
      if (seen.contains(text)) {
        return true;
      }
    }
    return false;
  }
}
