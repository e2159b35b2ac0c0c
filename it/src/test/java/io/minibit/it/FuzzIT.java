package io.minibit.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.minibit.api.v2.GetBlocksRequest;
import io.minibit.api.v2.GetBlocksResponse;
import io.minibit.api.v2.GetManifestRequest;
import io.minibit.api.v2.ListTransfersRequest;
import io.minibit.api.v2.PeerControlServiceGrpc;
import io.minibit.api.v2.PeerServiceGrpc;
import io.minibit.api.v2.RemoveRequest;
import io.minibit.api.v2.ShareRequest;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.Torrent;
import io.minibit.core.grpc.Channels;
import io.minibit.core.grpc.LargeFrames;
import io.minibit.core.grpc.RawBytes;
import io.minibit.core.grpc.ServerLimits;
import io.minibit.core.testing.TestFiles;
import io.minibit.it.RequestFuzzer.Input;
import io.minibit.it.RequestFuzzer.Server;
import io.minibit.peer.PeerConfig;
import io.minibit.peer.PeerDaemon;
import io.minibit.peer.download.PeerChannels;
import io.minibit.peer.testing.Subscription;
import io.minibit.tracker.TrackerConfig;
import io.minibit.tracker.TrackerServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random and mutated requests against a real tracker and a real peer (its Peer and control
 * servers), on loopback sockets with the limits the launchers set. Asserts that every answer is
 * a status code the contract documents for that server, that the servers keep serving, that a
 * valid request still works afterwards, and that nothing is written outside the data
 * directories.
 *
 * <p>Runs for {@code -Dminibit.fuzz.seconds} (20 by default; {@code make fuzz} runs longer) from
 * {@code -Dminibit.fuzz.seed} (random by default; printed, so a failure can be replayed).
 */
class FuzzIT {
  private static final Map<Server, Set<Status.Code>> DOCUMENTED = new EnumMap<>(Map.of(
      Server.TRACKER, EnumSet.of(Status.Code.OK, Status.Code.INVALID_ARGUMENT,
          Status.Code.NOT_FOUND, Status.Code.PERMISSION_DENIED, Status.Code.UNAUTHENTICATED,
          Status.Code.RESOURCE_EXHAUSTED),
      Server.PEER, EnumSet.of(Status.Code.OK, Status.Code.INVALID_ARGUMENT,
          Status.Code.NOT_FOUND, Status.Code.OUT_OF_RANGE, Status.Code.FAILED_PRECONDITION,
          Status.Code.RESOURCE_EXHAUSTED),
      Server.CONTROL, EnumSet.of(Status.Code.OK, Status.Code.INVALID_ARGUMENT,
          Status.Code.NOT_FOUND, Status.Code.FAILED_PRECONDITION, Status.Code.UNAVAILABLE,
          Status.Code.RESOURCE_EXHAUSTED)));
  /** For bytes that are not a request at all: refused as malformed, or as too large first. */
  private static final Set<Status.Code> UNPARSEABLE =
      EnumSet.of(Status.Code.INVALID_ARGUMENT, Status.Code.RESOURCE_EXHAUSTED);
  private static final int FILE_SIZE = 3 * 256 * 1024 + 1000;

  @TempDir Path root;
  private TrackerServer tracker;
  private PeerDaemon peer;
  private ManagedChannel trackerForPeer;
  private final Map<Server, ManagedChannel> channels = new EnumMap<>(Server.class);

  @AfterEach
  void stop() {
    channels.values().forEach(Channels::close);
    if (peer != null) {
      peer.close();
    }
    if (trackerForPeer != null) {
      Channels.close(trackerForPeer);
    }
    if (tracker != null) {
      tracker.close();
    }
  }

  @Test
  void randomAndMutatedRequestsGetOnlyDocumentedAnswers() throws Exception {
    long seconds = Long.getLong("minibit.fuzz.seconds", 20);
    long seed = Long.getLong("minibit.fuzz.seed", System.nanoTime());
    System.out.printf("[fuzz] seed %d for %d s (replay: -Dminibit.fuzz.seed=%d)%n",
        seed, seconds, seed);
    quietServerLogs();

    Path outside = Files.createDirectories(root.resolve("outside"));
    Files.writeString(outside.resolve("keep.txt"), "must not change");
    Path peerDir = Files.createDirectories(root.resolve("peer"));
    Path original = TestFiles.createFile(peerDir, "fuzz.bin", FILE_SIZE, seed);
    Files.createSymbolicLink(peerDir.resolve("link-out"), outside);
    startServers(peerDir);
    Torrent torrent = peer.share(original.toString(), 0).torrent();
    Map<String, String> before = snapshotOutsideDataDirs();

    RequestFuzzer fuzzer = new RequestFuzzer(seed, new RequestFuzzer.Known(torrent.manifest(),
        torrent.infoHash().hex(), "fuzz-peer", peer.dataDir().toString(), outside.toString()));
    Map<String, Integer> answers = new TreeMap<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    int calls = 0;
    while (System.nanoTime() < deadline) {
      Input input = fuzzer.next();
      Status status = call(channels.get(input.server()), input.method(), input.bytes());
      calls++;
      answers.merge(input.server() + " " + status.getCode(), 1, Integer::sum);
      boolean documented = input.parses()
          ? DOCUMENTED.get(input.server()).contains(status.getCode())
          : UNPARSEABLE.contains(status.getCode());
      assertTrue(documented, "call " + calls + " (seed " + seed + "): " + input.description()
          + "\n  got " + status);
    }
    System.out.printf("[fuzz] %d requests in %d s, answers: %s%n", calls, seconds, answers);

    for (Server server : Server.values()) {
      assertEquals(ServingStatus.SERVING, HealthGrpc.newBlockingStub(channels.get(server))
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus(), server + " health");
    }
    assertValidRequestsStillWork(original, torrent, seed);
    assertEquals(before, snapshotOutsideDataDirs(), "files outside the data directories");
  }

  private void startServers(Path peerDir) throws IOException {
    tracker = TrackerServer.start(TrackerConfig.defaults(root.resolve("tracker")).withPort(0),
        ServerLimits.TRACKER.applyTo(loopback()));
    trackerForPeer = Channels.forTarget("127.0.0.1:" + tracker.port());
    peer = PeerDaemon.start(PeerConfig.defaults("127.0.0.1:" + tracker.port(), peerDir)
            .withPorts(0, 0).withAdvertiseHost("127.0.0.1"),
        LargeFrames.applyTo(ServerLimits.PEER.applyTo(loopback())),
        ServerLimits.CONTROL.applyTo(loopback()),
        trackerForPeer, PeerChannels.network(), Clock.systemUTC());
    channels.put(Server.TRACKER, Channels.forTarget("127.0.0.1:" + tracker.port()));
    channels.put(Server.PEER, Channels.forTarget("127.0.0.1:" + peer.peerPort()));
    channels.put(Server.CONTROL, Channels.forTarget("127.0.0.1:" + peer.controlPort()));
  }

  private static NettyServerBuilder loopback() {
    return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0));
  }

  /** The file is shared again (it may have been removed, even deleted) and served intact. */
  private void assertValidRequestsStillWork(Path original, Torrent torrent, long seed)
      throws IOException {
    if (!Files.isRegularFile(original)) {
      // Removed with its data, and maybe made a download directory since: start it afresh.
      if (Files.exists(original)) {
        try (Stream<Path> tree = Files.walk(original)) {
          for (Path path : tree.sorted(java.util.Comparator.reverseOrder()).toList()) {
            Files.delete(path);
          }
        }
      }
      TestFiles.createFile(original.getParent(), "fuzz.bin", FILE_SIZE, seed);
    }
    PeerControlServiceGrpc.PeerControlServiceBlockingStub control =
        PeerControlServiceGrpc.newBlockingStub(channels.get(Server.CONTROL));
    ShareRequest share = ShareRequest.newBuilder().setPath(original.toString()).build();
    String infohash;
    try {
      infohash = control.withDeadlineAfter(30, TimeUnit.SECONDS).share(share).getInfohash();
    } catch (StatusRuntimeException e) {
      // The fuzzer removed the file's transfer and downloaded it, or another torrent of its
      // name, again (from nobody): sharing the file is refused while a download holds its path,
      // until that transfer is removed.
      assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.toString());
      for (var transfer : control.withDeadlineAfter(10, TimeUnit.SECONDS)
          .listTransfers(ListTransfersRequest.getDefaultInstance()).getTransfersList()) {
        if (transfer.getPath().equals(original.toString())
            || transfer.getInfohash().equals(torrent.infoHash().hex())) {
          control.withDeadlineAfter(10, TimeUnit.SECONDS).remove(
              RemoveRequest.newBuilder().setInfohash(transfer.getInfohash()).build());
        }
      }
      infohash = control.withDeadlineAfter(30, TimeUnit.SECONDS).share(share).getInfohash();
    }
    assertEquals(torrent.infoHash().hex(), infohash);
    assertEquals(torrent.manifest(),
        TrackerServiceGrpc.newBlockingStub(channels.get(Server.TRACKER))
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .getManifest(GetManifestRequest.newBuilder().setInfohash(infohash).build())
            .getManifest());
    Subscription.open(channels.get(Server.PEER), infohash, "checker"); // blocks go to subscribers
    Iterator<GetBlocksResponse> blocks = PeerServiceGrpc.newBlockingStub(channels.get(Server.PEER))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .getBlocks(GetBlocksRequest.newBuilder().setInfohash(infohash).setPeerId("checker")
            .addIndices(torrent.blockCount() - 1).build());
    byte[] tail = blocks.next().getData().toByteArray();
    byte[] file = Files.readAllBytes(original);
    assertArrayEquals(java.util.Arrays.copyOfRange(file,
        (int) torrent.blockOffset(torrent.blockCount() - 1), file.length), tail);
    assertTrue(PeerControlServiceGrpc.newBlockingStub(channels.get(Server.CONTROL))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .listTransfers(ListTransfersRequest.getDefaultInstance()).getTransfersCount() >= 1);
  }

  /**
   * Sends {@code request} as raw bytes and returns how the call ended: OK as soon as one response
   * arrives (a stream is then cancelled), else the status it closed with.
   */
  private static Status call(ManagedChannel channel, MethodDescriptor<?, ?> method,
      byte[] request) throws Exception {
    MethodDescriptor<byte[], byte[]> raw = method.toBuilder(RawBytes.INSTANCE, RawBytes.INSTANCE)
        .build();
    ClientCall<byte[], byte[]> call = channel.newCall(raw,
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
    CompletableFuture<Status> ended = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(byte[] message) {
        ended.complete(Status.OK);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        ended.complete(status);
      }
    }, new Metadata());
    call.request(1);
    call.sendMessage(request);
    call.halfClose();
    Status status = ended.get(20, TimeUnit.SECONDS);
    call.cancel("answered", null);
    return status;
  }

  /** Every file outside the two data directories, with its size, to compare before and after. */
  private Map<String, String> snapshotOutsideDataDirs() throws IOException {
    Map<String, String> files = new TreeMap<>();
    Set<Path> dataDirs = new TreeSet<>(java.util.List.of(root.resolve("tracker"),
        root.resolve("peer")));
    try (Stream<Path> all = Files.walk(root)) {
      for (Path path : all.filter(p -> dataDirs.stream().noneMatch(p::startsWith)).toList()) {
        files.put(root.relativize(path).toString(),
            Files.isRegularFile(path) ? Files.size(path) + " bytes" : "dir");
      }
    }
    return files;
  }

  /** The servers log every refused request; thousands of them would drown the test report. */
  private static void quietServerLogs() {
    for (String name : new String[] {"io.minibit", "io.grpc"}) {
      Logger.getLogger(name).setLevel(Level.SEVERE);
    }
  }
}
