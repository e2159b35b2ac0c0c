package io.minibit.core.grpc;

import static io.minibit.core.testing.MinibitAssertions.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.minibit.core.grpc.ErrorMappingInterceptorTest.FailingTracker;
import io.minibit.core.testing.GrpcCleanup;
import io.minibit.core.testing.TestCertificates;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A server with mutual TLS lets in only clients with a certificate from its CA. */
class MutualTlsTest {
  @TempDir static Path certs;
  private static MutualTls server;
  private static MutualTls member;
  private static MutualTls stranger;

  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();

  @BeforeAll
  static void makeCertificates() throws Exception {
    TestCertificates swarm = TestCertificates.newCa(certs, "swarm");
    server = swarm.issue("server");
    member = swarm.issue("member");
    stranger = TestCertificates.newCa(certs, "elsewhere").issue("stranger");
  }

  private String start() throws Exception {
    GrpcServer started = grpc.register(GrpcServer.start(
        server.applyTo(ServerLimits.TRACKER.applyTo(
            NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)))),
        "tls", List.of(), new FailingTracker()));
    return "127.0.0.1:" + started.port();
  }

  private ServingStatus health(ManagedChannel channel) {
    return HealthGrpc.newBlockingStub(grpc.register(channel))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance()).getStatus();
  }

  @Test
  void aClientWithACertificateFromTheSwarmsCaGetsIn() throws Exception {
    String target = start();
    assertEquals(ServingStatus.SERVING, health(Channels.forTarget(target, Optional.of(member))));
  }

  @Test
  void aPeerChannelWithACertificateFromTheSwarmsCaGetsIn() throws Exception {
    String target = start();
    assertEquals(ServingStatus.SERVING, health(Channels.toPeer(target, Optional.of(member))));
  }

  @Test
  void aClientWithAStrangersCertificateIsRefused() throws Exception {
    String target = start();
    assertStatus(Status.Code.UNAVAILABLE,
        () -> health(Channels.forTarget(target, Optional.of(stranger))));
  }

  @Test
  void aPlaintextClientIsRefused() throws Exception {
    String target = start();
    assertStatus(Status.Code.UNAVAILABLE, () -> health(Channels.forTarget(target)));
  }

  @Test
  void aClientWithoutACertificateIsRefused() throws Exception {
    String target = start();
    // TLS that trusts the swarm's CA but shows no certificate of its own.
    ManagedChannel anonymous = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder
        .forTarget(target)
        .sslContext(io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.forClient()
            .trustManager(server.trustedCa().toFile()).build())
        .build();
    assertStatus(Status.Code.UNAVAILABLE, () -> health(anonymous));
  }

  @Test
  void flagsGoTogether() {
    assertEquals(Optional.empty(), MutualTls.fromFlags("", "", ""));
    assertEquals(Optional.of(member), MutualTls.fromFlags(member.certificate().toString(),
        member.privateKey().toString(), member.trustedCa().toString()));
    IllegalArgumentException partial = assertThrows(IllegalArgumentException.class,
        () -> MutualTls.fromFlags(member.certificate().toString(), "", ""));
    assertEquals("--tls-cert, --tls-key and --tls-ca go together: give all three or none",
        partial.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> MutualTls.fromFlags("/nonexistent.pem", "/nonexistent.key", "/nonexistent.ca"));
    IllegalArgumentException notPem = assertThrows(IllegalArgumentException.class,
        () -> MutualTls.fromFlags(member.certificate().toString(),
            member.certificate().toString(), member.trustedCa().toString()));
    assertTrue(notPem.getMessage().startsWith("cannot use the TLS files: "),
        notPem.getMessage());
  }
}
