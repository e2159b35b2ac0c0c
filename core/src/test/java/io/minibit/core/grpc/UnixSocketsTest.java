package io.minibit.core.grpc;

import static io.minibit.core.testing.MinibitAssertions.assertFailsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.minibit.core.ErrorCode;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnixSocketsTest {
  @TempDir Path dir;

  @Test
  void aServerOnASocketAnswersAChannelToItsTargetAndOnlyItsOwnerAndGroupMayConnect()
      throws Exception {
    Path socket = dir.resolve("run/minibit/control.sock");
    GrpcServer server = GrpcServer.start(UnixSockets.serverBuilder(socket), "test", List.of());
    ManagedChannel channel = Channels.forTarget(UnixSockets.target(socket));
    try {
      UnixSockets.restrict(socket);

      assertEquals(ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus());
      assertEquals("rw-rw----", PosixFilePermissions.toString(
          Files.getPosixFilePermissions(socket)));
      assertEquals("rwxr-x---", PosixFilePermissions.toString(
          Files.getPosixFilePermissions(socket.getParent())));
      assertEquals(-1, server.port());
    } finally {
      Channels.close(channel);
      server.close();
    }
  }

  @Test
  void aSocketLeftByADaemonThatIsGoneIsReplaced() throws Exception {
    Path socket = dir.resolve("control.sock");
    ServerSocketChannel.open(StandardProtocolFamily.UNIX)
        .bind(UnixDomainSocketAddress.of(socket)).close(); // the file stays, nobody listens
    assertTrue(Files.exists(socket));

    GrpcServer server = GrpcServer.start(UnixSockets.serverBuilder(socket), "test", List.of());
    server.close();
  }

  @Test
  void aSocketADaemonListensOnOrAFileThatIsNoSocketIsNotTouched() throws Exception {
    Path socket = dir.resolve("live.sock");
    try (ServerSocketChannel live = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      live.bind(UnixDomainSocketAddress.of(socket));
      var taken = assertFailsWith(ErrorCode.FAILED_PRECONDITION,
          () -> UnixSockets.serverBuilder(socket));
      assertTrue(taken.getMessage().contains("another process listens on"), taken.getMessage());
    }
    Path file = Files.writeString(dir.resolve("notes.txt"), "mine");
    assertFailsWith(ErrorCode.FAILED_PRECONDITION, () -> UnixSockets.serverBuilder(file));
    assertEquals("mine", Files.readString(file));
  }

  @Test
  void targetsNameTheSocketsAbsolutePath() {
    assertEquals("unix:" + dir.resolve("a.sock"), UnixSockets.target(dir.resolve("a.sock")));
    assertTrue(UnixSockets.isSocketTarget("unix:/run/minibit/control.sock"));
    assertTrue(!UnixSockets.isSocketTarget("127.0.0.1:6880"));
  }
}
