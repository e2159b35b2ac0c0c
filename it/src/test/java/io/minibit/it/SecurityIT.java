package io.minibit.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.minibit.api.v2.AnnounceEvent;
import io.minibit.api.v2.AnnounceRequest;
import io.minibit.api.v2.GetBlocksRequest;
import io.minibit.api.v2.GetBlocksResponse;
import io.minibit.api.v2.PeerServiceGrpc;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.grpc.Channels;
import io.minibit.core.grpc.MutualTls;
import io.minibit.core.testing.TestCertificates;
import io.minibit.core.testing.TestFiles;
import io.minibit.core.testing.TestKeys;
import io.minibit.peer.testing.Subscription;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who gets in, with real processes: the control API is closed to other machines unless a token
 * guards it, and in a swarm with mutual TLS a node without a certificate from the swarm's CA can
 * neither announce nor fetch a block.
 */
class SecurityIT {
  private static final Duration CLI_TIMEOUT = Duration.ofSeconds(120);
  private static final String TOKEN = "a-long-enough-control-token-42";

  @TempDir Path root;
  private Cluster cluster;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void stop() {
    channels.forEach(Channels::close);
    if (cluster != null) {
      cluster.close();
    }
  }

  private ManagedChannel channel(String target, Optional<MutualTls> tls) {
    ManagedChannel channel = Channels.forTarget(target, tls);
    channels.add(channel);
    return channel;
  }

  private ServingStatus health(ManagedChannel channel) {
    return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance()).getStatus();
  }

  private static Status.Code failureOf(Supplier<?> call) {
    try {
      call.get();
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
    throw new AssertionError("the call succeeded");
  }

  /** An IPv4 address of this machine other than loopback: what another host would dial. */
  private static String nonLoopbackAddress() throws Exception {
    for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
      if (!nic.isUp() || nic.isLoopback()) {
        continue;
      }
      for (InetAddress address : nic.inetAddresses().toList()) {
        if (address instanceof Inet4Address && !address.isLoopbackAddress()
            && !address.isLinkLocalAddress()) {
          return address.getHostAddress();
        }
      }
    }
    throw new AssertionError("this machine has no non-loopback IPv4 address to connect from");
  }

  @Test
  void theControlApiIsClosedToOtherAddressesByDefault() throws Exception {
    cluster = new Cluster(root);
    cluster.startTracker();
    Cluster.PeerProcess peer = cluster.peer("peer");
    String outside = nonLoopbackAddress();
    System.out.printf("[security] control API on 127.0.0.1:%d, dialled via %s%n",
        peer.controlPort, outside);

    assertEquals(ServingStatus.SERVING,
        health(channel("127.0.0.1:" + peer.controlPort, Optional.empty())));
    // The peer port listens everywhere, so the address itself is reachable...
    assertEquals(ServingStatus.SERVING,
        health(channel(outside + ":" + peer.port, Optional.empty())));
    // ...but the control port is not there at all.
    assertEquals(Status.Code.UNAVAILABLE, failureOf(
        () -> health(channel(outside + ":" + peer.controlPort, Optional.empty()))));
    Cluster.Result remote = cluster.cli(CLI_TIMEOUT, "--peer", outside + ":" + peer.controlPort,
        "status");
    assertEquals(4, remote.exitCode(), remote.toString());

    // The Unix socket the CLI uses by default: its owner and group only.
    assertEquals("rw-rw----", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(peer.controlSocket)));
    Cluster.Result local = cluster.cli(CLI_TIMEOUT, "--peer", peer.controlAddress(), "status");
    assertEquals(0, local.exitCode(), local.toString());
    // The swarm page and /metrics listen on loopback only, unless --http-host opens them.
    assertEquals(200, httpStatus("http://127.0.0.1:" + peer.httpPort + "/metrics"));
    assertThrows(java.net.ConnectException.class,
        () -> httpStatus("http://" + outside + ":" + peer.httpPort + "/metrics"));
  }

  private static int httpStatus(String url) throws Exception {
    java.net.HttpURLConnection connection =
        (java.net.HttpURLConnection) java.net.URI.create(url).toURL().openConnection();
    connection.setConnectTimeout(5000);
    try {
      return connection.getResponseCode();
    } finally {
      connection.disconnect();
    }
  }

  @Test
  void aControlApiBeyondLoopbackNeedsAToken() throws Exception {
    cluster = new Cluster(root);
    cluster.startTracker();
    Process refused = new ProcessBuilder(Cluster.HOME.resolve("bin/minibit-peer").toString(),
        "--tracker", cluster.tracker(), "--port", "0", "--control-port", "0",
        "--control-host", "0.0.0.0", "--data-dir", root.resolve("refused").toString())
        .redirectErrorStream(true).start();
    assertTrue(refused.waitFor(60, TimeUnit.SECONDS), "the peer should refuse to start");
    String said = new String(refused.getInputStream().readAllBytes());
    assertEquals(2, refused.exitValue(), said);
    assertTrue(said.contains("set --control-token"), said);

    // the secret from a file: on the command line it would show in the process list
    Path tokenFile = Files.writeString(root.resolve("control.token"), TOKEN + "\n");
    Cluster.PeerProcess peer = cluster.peer("guarded", "--control-host", "0.0.0.0",
        "--control-token-file", tokenFile.toString());
    String remote = nonLoopbackAddress() + ":" + peer.controlPort;
    Cluster.Result anonymous = cluster.cli(CLI_TIMEOUT, "--peer", remote, "status");
    assertEquals(1, anonymous.exitCode(), anonymous.toString());
    assertTrue(anonymous.stderr().contains("needs a token"), anonymous.toString());
    Cluster.Result wrong = cluster.cli(CLI_TIMEOUT, "status", "--peer", remote,
        "--control-token", "not-the-right-token-at-all");
    assertEquals(1, wrong.exitCode(), wrong.toString());
    assertTrue(wrong.stderr().contains("wrong control token"), wrong.toString());
    Cluster.Result allowed = cluster.cli(CLI_TIMEOUT, "status", "--peer", remote,
        "--control-token-file", tokenFile.toString());
    assertEquals(0, allowed.exitCode(), allowed.toString());
    assertTrue(peer.commandLine().stream().noneMatch(arg -> arg.contains(TOKEN)),
        "the token is not in the daemon's command line");
    Cluster.Result local = cluster.cli(CLI_TIMEOUT, "status", "--peer", peer.controlAddress(),
        "--control-token", TOKEN);
    assertEquals(0, local.exitCode(), "its Unix socket takes the token too: " + local);
  }

  @Test
  void withMutualTlsOnlyTheSwarmsNodesAnnounceAndFetch() throws Exception {
    TestCertificates swarm = TestCertificates.newCa(root, "swarm");
    MutualTls trackerCert = swarm.issue("tracker");
    MutualTls seederCert = swarm.issue("seeder");
    MutualTls memberCert = swarm.issue("member");
    MutualTls strangerCert = TestCertificates.newCa(root, "elsewhere").issue("stranger");

    cluster = new Cluster(root).withTrackerTls(memberCert);
    cluster.startTracker(TestCertificates.flags(trackerCert).toArray(String[]::new));
    Cluster.PeerProcess seeder = cluster.peer("seeder",
        TestCertificates.flags(seederCert).toArray(String[]::new));
    Cluster.PeerProcess member = cluster.peer("member",
        TestCertificates.flags(memberCert).toArray(String[]::new));
    Cluster.PeerProcess stranger = cluster.peer("stranger",
        TestCertificates.flags(strangerCert).toArray(String[]::new));
    Path original = TestFiles.createFile(seeder.dataDir, "private.bin", 3 * 1024 * 1024 + 5, 11);
    Cluster.Result shared = cluster.cli(CLI_TIMEOUT, "--peer", seeder.controlAddress(),
        "share", original.toString());
    assertEquals(0, shared.exitCode(), shared + cluster.logs());
    String infohash = shared.stdout().strip();

    Cluster.Result fetched = cluster.cli(CLI_TIMEOUT, "--peer", member.controlAddress(),
        "get", infohash);
    assertEquals(0, fetched.exitCode(), fetched + cluster.logs());
    assertArrayEquals(sha256(original), sha256(Path.of(fetched.stdout().strip())));

    Cluster.Result strangerGet = cluster.cli(CLI_TIMEOUT, "--peer", stranger.controlAddress(),
        "get", infohash, "--no-peers-timeout", "5");
    assertNotEquals(0, strangerGet.exitCode(), strangerGet.toString());
    assertTrue(Files.notExists(stranger.dataDir.resolve("private.bin")));

    List<String> torrents = new ArrayList<>(List.of("torrents", "--tracker", cluster.tracker()));
    Cluster.Result plain = cluster.cli(CLI_TIMEOUT, torrents.toArray(String[]::new));
    assertEquals(4, plain.exitCode(), "a plaintext CLI cannot reach a TLS tracker: " + plain);
    torrents.addAll(TestCertificates.flags(memberCert));
    Cluster.Result listed = cluster.cli(CLI_TIMEOUT, torrents.toArray(String[]::new));
    assertEquals(0, listed.exitCode(), listed.toString());
    assertTrue(listed.stdout().contains(infohash), listed.toString());

    // The same calls, made directly: a swarm certificate gets an answer, any other none.
    AnnounceRequest announce = TestKeys.proven(AnnounceRequest.newBuilder().setInfohash(infohash)
        .setPeerId(TestKeys.peerId("probe")).setPort(1)
        .setEvent(AnnounceEvent.ANNOUNCE_EVENT_STARTED), Instant.now()).build();
    GetBlocksRequest block = GetBlocksRequest.newBuilder().setInfohash(infohash)
        .setPeerId("probe").addIndices(0).build();
    String tracker = cluster.tracker();
    String seederAddress = "127.0.0.1:" + seeder.port;
    assertTrue(announce(tracker, Optional.of(memberCert), announce) > 0,
        "a swarm member announcing sees the other peers");
    assertEquals(256 * 1024, firstBlock(seederAddress, Optional.of(memberCert), block).length);
    for (Optional<MutualTls> outsider : List.of(Optional.of(strangerCert),
        Optional.<MutualTls>empty())) {
      String who = outsider.isPresent() ? "a stranger's certificate" : "plaintext";
      System.out.printf("[security] %s: announce and GetBlocks refused%n", who);
      assertEquals(Status.Code.UNAVAILABLE,
          failureOf(() -> announce(tracker, outsider, announce)), who);
      assertEquals(Status.Code.UNAVAILABLE,
          failureOf(() -> firstBlock(seederAddress, outsider, block)), who);
    }
  }

  private int announce(String tracker, Optional<MutualTls> tls, AnnounceRequest request) {
    return TrackerServiceGrpc.newBlockingStub(channel(tracker, tls))
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .announce(request).getPeersCount();
  }

  /** Subscribes (blocks go to subscribers only), then asks for the request's blocks. */
  private byte[] firstBlock(String peer, Optional<MutualTls> tls, GetBlocksRequest request) {
    ManagedChannel channel = channel(peer, tls);
    try (Subscription subscribed = Subscription.open(channel, request.getInfohash(),
        request.getPeerId())) {
      Iterator<GetBlocksResponse> blocks = PeerServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(5, TimeUnit.SECONDS).getBlocks(request);
      return blocks.next().getData().toByteArray();
    }
  }

  private static byte[] sha256(Path file) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
  }
}
