package io.minibit.peer;

import static io.minibit.core.testing.MinibitAssertions.assertReason;
import static io.minibit.core.testing.MinibitAssertions.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.minibit.api.v2.DownloadRequest;
import io.minibit.api.v2.DownloadResponse;
import io.minibit.api.v2.GetBlocksRequest;
import io.minibit.api.v2.GetBlocksResponse;
import io.minibit.api.v2.PeerServiceGrpc;
import io.minibit.api.v2.PingRequest;
import io.minibit.api.v2.RemoveRequest;
import io.minibit.api.v2.ShareRequest;
import io.minibit.api.v2.SubscribeRequest;
import io.minibit.api.v2.SubscribeResponse;
import io.minibit.api.v2.TransferState;
import io.minibit.core.ErrorReason;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.TestFiles;
import io.minibit.peer.testing.LocalSwarm;
import io.minibit.peer.testing.LocalSwarm.Peer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every malformed or out-of-bounds request to the Peer and PeerControl services gets its
 * documented status with a readable message, and leaves the disk as it was.
 */
class PeerServicesBadInputTest {
  private static final int BLOCK = 16 * 1024;

  @RegisterExtension
  final LocalSwarm swarm = LocalSwarm.builder().build();
  /** The swarm's directory: the parent of every peer's data directory. */
  private Path root;
  private Peer seeder;
  private String infohash;
  private PeerServiceGrpc.PeerServiceBlockingStub seederPeerApi;

  @BeforeEach
  void shareAFile() throws Exception {
    root = swarm.root();
    seeder = swarm.peer("seeder");
    TestFiles.createFile(seeder.dataDir(), "f.bin", 10 * BLOCK + 5, 7);
    infohash = seeder.control().share(
        ShareRequest.newBuilder().setPath("f.bin").setBlockSize(BLOCK).build()).getInfohash();
    seederPeerApi = PeerServiceGrpc.newBlockingStub(swarm.channel(swarm.address("seeder")));
  }

  private GetBlocksRequest.Builder blocks(int... indices) {
    GetBlocksRequest.Builder request =
        GetBlocksRequest.newBuilder().setInfohash(infohash).setPeerId("tester");
    for (int index : indices) {
      request.addIndices(index);
    }
    return request;
  }

  private static void drain(Iterator<?> stream) {
    while (stream.hasNext()) {
      stream.next();
    }
  }

  private void assertBlocksStatus(Status.Code code, String messagePart, GetBlocksRequest request) {
    Status status = assertStatus(code, () -> drain(seederPeerApi.getBlocks(request)));
    assertTrue(status.getDescription().contains(messagePart), status.toString());
  }

  @Test
  void getBlocksStreamsTheBlocksAskedFor() {
    List<GetBlocksResponse> received = new ArrayList<>();
    seederPeerApi.getBlocks(blocks(10, 0, 3).build()).forEachRemaining(received::add);
    assertEquals(List.of(10, 0, 3), received.stream().map(GetBlocksResponse::getIndex).toList());
    assertEquals(5, received.get(0).getData().size());
    assertEquals(BLOCK, received.get(1).getData().size());
  }

  @Test
  void givenAChoiceASeedSendsTheBlocksItHasSentLeast() {
    List<Integer> first = new ArrayList<>();
    seederPeerApi.getBlocks(blocks(4, 5, 6, 7).setMaxBlocks(2).build())
        .forEachRemaining(block -> first.add(block.getIndex()));
    assertEquals(List.of(4, 5), first, "ties go in the order listed");
    List<Integer> second = new ArrayList<>();
    seederPeerApi.getBlocks(blocks(4, 5, 6, 7).setMaxBlocks(2).setPeerId("another").build())
        .forEachRemaining(block -> second.add(block.getIndex()));
    assertEquals(List.of(6, 7), second, "4 and 5 went out once already");
    List<Integer> all = new ArrayList<>();
    seederPeerApi.getBlocks(blocks(4, 5, 6, 7).setMaxBlocks(4).build())
        .forEachRemaining(block -> all.add(block.getIndex()));
    assertEquals(List.of(4, 5, 6, 7), all, "a limit covering them all is no choice");
  }

  @Test
  void getBlocksRefusesBadRequests() {
    assertBlocksStatus(Status.Code.INVALID_ARGUMENT, "max_blocks",
        blocks(1, 2).setMaxBlocks(3).build());
    assertBlocksStatus(Status.Code.INVALID_ARGUMENT, "max_blocks",
        blocks(1, 2).setMaxBlocks(-1).build());
    assertBlocksStatus(Status.Code.OUT_OF_RANGE, "out of range", blocks(11).build());
    assertBlocksStatus(Status.Code.OUT_OF_RANGE, "out of range", blocks(-1).build());
    assertBlocksStatus(Status.Code.INVALID_ARGUMENT, "empty", blocks().build());
    assertBlocksStatus(Status.Code.INVALID_ARGUMENT, "twice", blocks(1, 1).build());
    assertBlocksStatus(Status.Code.RESOURCE_EXHAUSTED, "limit",
        blocks(IntStream.range(0, 65).map(i -> i % 11).toArray()).build());
    assertEquals(Map.of("limit", "blocks_per_call", "max", "64"),
        assertReason(ErrorReason.OVER_LIMIT, () -> drain(seederPeerApi.getBlocks(
            blocks(IntStream.range(0, 65).map(i -> i % 11).toArray()).build())))
            .getMetadataMap());
    assertBlocksStatus(Status.Code.INVALID_ARGUMENT, "infohash",
        blocks(0).setInfohash("not-hex").build());
    assertBlocksStatus(Status.Code.NOT_FOUND, "does not have",
        blocks(0).setInfohash("ab".repeat(32)).build());
    assertBlocksStatus(Status.Code.INVALID_ARGUMENT, "peer_id",
        blocks(0).setPeerId("../../etc").build());
  }

  @Test
  void getBlocksRefusesABlockNotHeldYet() throws Exception {
    seeder.close(); // the leecher will find nobody to fetch from
    Peer leecher = swarm.peer("leecher");
    Iterator<DownloadResponse> progress = leecher.control().download(
        DownloadRequest.newBuilder().setInfohash(infohash).setNoPeersTimeoutMs(200).build());
    Status status = assertStatus(Status.Code.UNAVAILABLE, () -> drain(progress));
    assertTrue(status.getDescription().startsWith("no peers for f.bin"), status.toString());
    assertEquals(TransferState.TRANSFER_STATE_DOWNLOADING,
        leecher.transfer(infohash).orElseThrow().getState(), "the daemon keeps trying");

    PeerServiceGrpc.PeerServiceBlockingStub leecherPeerApi =
        PeerServiceGrpc.newBlockingStub(swarm.channel(swarm.address("leecher")));
    Status notHeld = assertStatus(Status.Code.FAILED_PRECONDITION,
        () -> drain(leecherPeerApi.getBlocks(blocks(0).build())));
    assertTrue(notHeld.getDescription().contains("not held"), notHeld.toString());
    assertEquals(Map.of("index", "0"), assertReason(ErrorReason.BLOCK_NOT_HELD,
        () -> drain(leecherPeerApi.getBlocks(blocks(0).build()))).getMetadataMap());
  }

  @Test
  void subscribeSendsTheFullBitfieldFirst() {
    Iterator<SubscribeResponse> events = seederPeerApi.withDeadlineAfter(
            2, java.util.concurrent.TimeUnit.SECONDS)
        .subscribe(SubscribeRequest.newBuilder().setInfohash(infohash).setPeerId("tester").build());
    SubscribeResponse first = events.next();
    assertTrue(first.hasBitfield());
    assertEquals(11, first.getBitfield().getBlockCount());
    assertEquals(11, io.minibit.core.Bitfield.fromBytes(11,
        first.getBitfield().getBits().toByteArray()).cardinality());
    assertTrue(events.next().hasUnchoke(), "a free slot: unchoked at once");
    assertStatus(Status.Code.NOT_FOUND, () -> seederPeerApi.subscribe(SubscribeRequest.newBuilder()
        .setInfohash("cd".repeat(32)).setPeerId("tester").build()).next());
  }

  @Test
  void aSuperSeedingSeederShowsAFewBlocksItLacksAtATime() throws Exception {
    Peer superSeeder = swarm.peer("super", c -> c.withSwarm(c.swarm().withSuperSeeding(true)));
    TestFiles.createFile(superSeeder.dataDir(), "f.bin", 10 * BLOCK + 5, 7);
    superSeeder.control().share(
        ShareRequest.newBuilder().setPath("f.bin").setBlockSize(BLOCK).build());
    io.minibit.core.Bitfield held = new io.minibit.core.Bitfield(11);
    held.set(0);
    held.set(1);
    Iterator<SubscribeResponse> events =
        PeerServiceGrpc.newBlockingStub(swarm.channel(swarm.address("super")))
        .withDeadlineAfter(2, java.util.concurrent.TimeUnit.SECONDS)
        .subscribe(SubscribeRequest.newBuilder().setInfohash(infohash).setPeerId("tester")
            .setHave(io.minibit.api.v2.Bitfield.newBuilder().setBlockCount(11)
                .setBits(com.google.protobuf.ByteString.copyFrom(held.toBytes())))
            .build());
    io.minibit.core.Bitfield shown = io.minibit.core.Bitfield.fromBytes(11,
        events.next().getBitfield().getBits().toByteArray());
    assertEquals(io.minibit.peer.policy.SuperSeeding.WINDOW, shown.cardinality());
    assertTrue(!shown.get(0) && !shown.get(1), "blocks it holds are not offered: " + shown);
  }

  @Test
  void pingAnswersWithThePeerId() {
    assertEquals(seeder.daemon().peerId(),
        seederPeerApi.ping(PingRequest.getDefaultInstance()).getPeerId());
  }

  @Test
  void shareRefusesPathsOutsideTheDataDirectory() throws Exception {
    Path outside = Files.writeString(root.resolve("secret.txt"), "not for sharing");
    Path link = seeder.dataDir().resolve("link.txt");
    Files.createSymbolicLink(link, outside);
    for (String path : List.of(outside.toString(), "../secret.txt", "link.txt")) {
      Status status = assertStatus(Status.Code.INVALID_ARGUMENT, () -> seeder.control()
          .share(ShareRequest.newBuilder().setPath(path).build()));
      assertTrue(status.getDescription().contains("outside the data directory"), status.toString());
    }
    assertStatus(Status.Code.NOT_FOUND, () -> seeder.control()
        .share(ShareRequest.newBuilder().setPath("missing.bin").build()));
    assertStatus(Status.Code.INVALID_ARGUMENT, () -> seeder.control()
        .share(ShareRequest.newBuilder().setPath("").build()));
    assertStatus(Status.Code.INVALID_ARGUMENT, () -> seeder.control()
        .share(ShareRequest.newBuilder().setPath(".").build()));
    assertStatus(Status.Code.INVALID_ARGUMENT, () -> seeder.control()
        .share(ShareRequest.newBuilder().setPath("f.bin").setBlockSize(1000).build()));
    assertEquals(1, seeder.control().listTransfers(
        io.minibit.api.v2.ListTransfersRequest.getDefaultInstance()).getTransfersCount());
  }

  @Test
  void downloadRefusesBadRequestsAndWritesNothing() throws Exception {
    Peer leecher = swarm.peer("leecher");
    List<String> before = listing(leecher.dataDir());

    assertStatus(Status.Code.NOT_FOUND, () -> drain(leecher.control().download(
        DownloadRequest.newBuilder().setInfohash("ef".repeat(32)).build())));
    assertStatus(Status.Code.NOT_FOUND, () -> drain(leecher.control().download(
        DownloadRequest.newBuilder().setName("no-such-file").build())));
    assertStatus(Status.Code.INVALID_ARGUMENT, () -> drain(leecher.control().download(
        DownloadRequest.newBuilder().setInfohash("xyz").build())));
    assertStatus(Status.Code.INVALID_ARGUMENT, () -> drain(leecher.control().download(
        DownloadRequest.newBuilder().setName("../f.bin").build())));
    assertStatus(Status.Code.INVALID_ARGUMENT, () -> drain(leecher.control().download(
        DownloadRequest.getDefaultInstance())));
    Status outside = assertStatus(Status.Code.INVALID_ARGUMENT, () -> drain(leecher.control()
        .download(DownloadRequest.newBuilder().setInfohash(infohash)
            .setDestination(root.toString()).build())));
    assertTrue(outside.getDescription().contains("outside the data directory"), outside.toString());
    assertStatus(Status.Code.INVALID_ARGUMENT, () -> drain(leecher.control().download(
        DownloadRequest.newBuilder().setInfohash(infohash).setDestination("../x").build())));
    for (String state : List.of(".minibit", ".minibit/transfers", "./.minibit/new")) {
      Status own = assertStatus(Status.Code.INVALID_ARGUMENT, () -> drain(leecher.control()
          .download(DownloadRequest.newBuilder().setInfohash(infohash).setDestination(state)
              .build())));
      assertTrue(own.getDescription().contains("in the daemon's own state directory"),
          own.toString());
    }

    assertEquals(before, listing(leecher.dataDir()));
    assertFalse(Files.exists(root.resolve("x")));
    try (var files = Files.list(root)) {
      assertEquals(List.of(), files.map(file -> file.getFileName().toString())
          .filter(name -> name.startsWith("f.bin")).toList());
    }
  }

  @Test
  void downloadRefusesToOverwriteAnExistingFile() throws Exception {
    Peer leecher = swarm.peer("leecher");
    Files.writeString(leecher.dataDir().resolve("f.bin"), "mine");
    Status status = assertStatus(Status.Code.FAILED_PRECONDITION, () -> drain(leecher.control()
        .download(DownloadRequest.newBuilder().setInfohash(infohash).build())));
    assertTrue(status.getDescription().contains("already exists"), status.toString());
    assertEquals("mine", Files.readString(leecher.dataDir().resolve("f.bin")));
  }

  @Test
  void sharingACopyOfAFileBeingDownloadedIsRefusedUntilTheDownloadIsRemoved() throws Exception {
    Peer leecher = swarm.peer("copyholder");
    Path copy = Files.createDirectories(leecher.dataDir().resolve("copy")).resolve("f.bin");
    Files.copy(seeder.dataDir().resolve("f.bin"), copy);
    // Nobody serves it once the seeder is gone: the download waits for peers.
    seeder.close();
    leecher.control().download(DownloadRequest.newBuilder().setInfohash(infohash).build())
        .hasNext();
    Await.until(Duration.ofSeconds(10), "the download registered",
        () -> leecher.transfer(infohash).isPresent());
    ShareRequest share =
        ShareRequest.newBuilder().setPath("copy/f.bin").setBlockSize(BLOCK).build();
    Status refused = assertStatus(Status.Code.FAILED_PRECONDITION,
        () -> leecher.control().share(share));
    assertTrue(refused.getDescription().contains("being downloaded"), refused.toString());

    leecher.control().remove(RemoveRequest.newBuilder().setInfohash(infohash).build());
    assertEquals(infohash, leecher.control().share(share).getInfohash());
    assertEquals(TransferState.TRANSFER_STATE_SEEDING,
        leecher.transfer(infohash).orElseThrow().getState());
  }

  @Test
  void removeOfAnUnknownTransferIsNotFound() {
    assertStatus(Status.Code.NOT_FOUND, () -> seeder.control().remove(
        RemoveRequest.newBuilder().setInfohash("01".repeat(32)).build()));
    assertStatus(Status.Code.INVALID_ARGUMENT, () -> seeder.control().remove(
        RemoveRequest.newBuilder().setInfohash("zz").build()));
  }

  @Test
  void removeStopsServingAndKeepsTheFileUnlessAsked() {
    seeder.control().remove(RemoveRequest.newBuilder().setInfohash(infohash).build());
    assertTrue(Files.exists(seeder.dataDir().resolve("f.bin")));
    assertStatus(Status.Code.NOT_FOUND, () -> drain(seederPeerApi.getBlocks(blocks(0).build())));
  }

  private static List<String> listing(Path dir) throws Exception {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }
}
