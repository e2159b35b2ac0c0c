package io.minibit.peer;

import static io.minibit.core.testing.MinibitAssertions.assertStatus;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.minibit.api.v2.DownloadRequest;
import io.minibit.api.v2.ListTransfersRequest;
import io.minibit.api.v2.Manifest;
import io.minibit.api.v2.RemoveRequest;
import io.minibit.api.v2.ShareRequest;
import io.minibit.api.v2.Transfer;
import io.minibit.api.v2.TransferState;
import io.minibit.core.Bitfield;
import io.minibit.core.Torrent;
import io.minibit.core.store.BlockStore;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.TestFiles;
import io.minibit.peer.session.TransferRecords;
import io.minibit.peer.testing.LocalSwarm;
import io.minibit.peer.testing.LocalSwarm.Peer;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a peer does so that no file it calls verified is ever wrong: two torrents of one name, a
 * finished file that changed while the daemon was down, a name taken while a download ran, a
 * record that cannot be saved or that leads out of the data directory.
 */
class DownloadIntegrityTest {
  private static final int BLOCK = 64 * 1024;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @RegisterExtension
  final LocalSwarm swarm = LocalSwarm.builder().build();
  /** The swarm's directory: the parent of every peer's data directory. */
  private Path root;

  @BeforeEach
  void findRoot() {
    root = swarm.root();
  }

  private static String share(Peer peer, String name, int size, long seed) throws Exception {
    TestFiles.createFile(peer.dataDir(), name, size, seed);
    return peer.control().share(
        ShareRequest.newBuilder().setPath(name).setBlockSize(BLOCK).build()).getInfohash();
  }

  /** Inverts the byte at {@code offset} of {@code file}, its size kept. */
  private static void flipByte(Path file, long offset) throws Exception {
    try (RandomAccessFile data = new RandomAccessFile(file.toFile(), "rw")) {
      data.seek(offset);
      int was = data.read();
      data.seek(offset);
      data.write(~was);
    }
  }

  private static void drain(java.util.Iterator<?> stream) {
    stream.forEachRemaining(item -> { });
  }

  @Test
  void twoTorrentsOfOneNameAreNeverFetchedIntoOneFileAtOnce() throws Exception {
    // two versions of one name, published by the name's owner, each seeded by a peer of its own
    Peer slow = swarm.peer("slow", c -> c.withUploadLimit(512 * 1024));
    Peer other = swarm.peer("other");
    Peer leecher = swarm.peer("leecher");
    String first = share(slow, "x.bin", 2 * 1024 * 1024, 1);
    Files.createDirectories(slow.dataDir().resolve("v2"));
    String second = share(slow, "v2/x.bin", 2 * 1024 * 1024, 2);
    other.download(DownloadRequest.newBuilder().setInfohash(second).build());
    slow.control().remove(io.minibit.api.v2.RemoveRequest.newBuilder().setInfohash(second)
        .build());

    CompletableFuture<Transfer> firstDone = leecher.downloadAsync(first);
    Await.until(TIMEOUT, "the first download is under way", () -> leecher.blocksHave(first) > 0);
    Status taken = assertStatus(Status.Code.FAILED_PRECONDITION, () -> drain(leecher.control()
        .download(DownloadRequest.newBuilder().setInfohash(second).build())));

    assertTrue(taken.getDescription().contains("is taken by the transfer of torrent " + first),
        taken.toString());
    assertEquals(TransferState.TRANSFER_STATE_SEEDING, firstDone.get().getState());
    assertArrayEquals(Files.readAllBytes(slow.dataDir().resolve("x.bin")),
        Files.readAllBytes(leecher.dataDir().resolve("x.bin")));
    Transfer elsewhere = leecher.download(DownloadRequest.newBuilder().setInfohash(second)
        .setDestination("other").build());
    assertEquals(TransferState.TRANSFER_STATE_SEEDING, elsewhere.getState());
    assertArrayEquals(Files.readAllBytes(other.dataDir().resolve("x.bin")),
        Files.readAllBytes(leecher.dataDir().resolve("other/x.bin")));
  }

  @Test
  void aRestartChecksTheBlocksOnDiskWhileControlCallsAreAnswered() throws Exception {
    // A 16 GiB download whose saved bitfield claims every block: its part file is sparse, so
    // nothing is written, but checking it reads and hashes 16 GiB, which takes seconds.
    long size = 16L << 30;
    int blockSize = 4 << 20;
    Random random = new Random(7);
    Manifest.Builder manifest = Manifest.newBuilder().setName("big.bin").setSize(size)
        .setBlockSize(blockSize)
        .setFileSha256(ByteString.copyFrom(randomBytes(random, 32)))
        .setFileMd5(ByteString.copyFrom(randomBytes(random, 16)));
    for (long i = 0; i < size / blockSize; i++) {
      manifest.addBlockSha256(ByteString.copyFrom(randomBytes(random, 32)));
    }
    Torrent torrent = Torrent.of(manifest.build());
    Path dataDir = Files.createDirectories(root.resolve("leecher"));
    try (RandomAccessFile part = new RandomAccessFile(
        BlockStore.partPath(dataDir, torrent).toFile(), "rw")) {
      part.setLength(size);
    }
    Path bitfield = BlockStore.bitfieldPath(dataDir, torrent);
    byte[] claimed = Bitfield.full(torrent.blockCount()).toBytes();
    Files.write(bitfield, claimed);
    new TransferRecords(dataDir.resolve(PeerConfig.STATE_DIR).resolve("transfers"))
        .save(torrent, dataDir);

    Peer leecher = swarm.peer("leecher");
    String infohash = torrent.infoHash().hex();
    Transfer checking = leecher.transfer(infohash).orElseThrow();

    assertEquals(TransferState.TRANSFER_STATE_CHECKING, checking.getState(),
        "the daemon answers while it checks: " + checking);
    leecher.control().remove(RemoveRequest.newBuilder().setInfohash(infohash).build());
    assertTrue(leecher.transfer(infohash).isEmpty());
    assertArrayEquals(claimed, Files.readAllBytes(bitfield),
        "a check cut short by the removal leaves the saved bitfield as it was");
  }

  private static byte[] randomBytes(Random random, int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }

  @Test
  void askingForAHeldTorrentElsewhereSaysWhereItIsInsteadOfIgnoringTheDestination()
      throws Exception {
    Peer seeder = swarm.peer("seeder");
    Peer leecher = swarm.peer("leecher");
    String infohash = share(seeder, "held.bin", 4 * BLOCK, 5);
    leecher.download(infohash);

    Status elsewhere = assertStatus(Status.Code.FAILED_PRECONDITION, () -> drain(leecher.control()
        .download(DownloadRequest.newBuilder().setInfohash(infohash).setDestination("other")
            .build())));
    assertTrue(elsewhere.getDescription().contains("already holds held.bin in "
        + leecher.dataDir().toRealPath()), elsewhere.toString());
    assertFalse(Files.exists(leecher.dataDir().resolve("other/held.bin")));
    Status byName = assertStatus(Status.Code.FAILED_PRECONDITION, () -> drain(leecher.control()
        .download(DownloadRequest.newBuilder().setName("held.bin").setDestination("other")
            .build())));
    assertTrue(byName.getDescription().contains("a torrent is kept in one place"),
        byName.toString());

    Transfer here = leecher.download(DownloadRequest.newBuilder().setInfohash(infohash)
        .setDestination(".").build());
    assertEquals(TransferState.TRANSFER_STATE_SEEDING, here.getState(), "where it is: fine");
  }

  @Test
  void aFinishedFileChangedWhileTheDaemonWasDownIsCheckedAgainAndRepaired() throws Exception {
    Peer seeder = swarm.peer("seeder");
    Peer leecher = swarm.peer("leecher");
    String infohash = share(seeder, "kept.bin", 16 * BLOCK, 3);
    leecher.download(infohash);
    leecher.close();
    Path copy = leecher.dataDir().resolve("kept.bin");
    flipByte(copy, 5 * BLOCK + 11);

    Peer restarted = swarm.peer("leecher");
    Transfer done = restarted.download(infohash);

    assertEquals(TransferState.TRANSFER_STATE_SEEDING, done.getState());
    assertEquals(15, done.getBlocksResumed(), "every block but the changed one kept");
    assertEquals(BLOCK, done.getDownloadedBytes(), "only the changed block fetched again");
    assertArrayEquals(Files.readAllBytes(seeder.dataDir().resolve("kept.bin")),
        Files.readAllBytes(copy));
  }

  @Test
  void aFileDeletedWhileItIsSeededIsFetchedAgainInsteadOfSaidToBeThere() throws Exception {
    Peer seeder = swarm.peer("seeder");
    Peer leecher = swarm.peer("leecher");
    String infohash = share(seeder, "gone.bin", 16 * BLOCK, 6);
    leecher.download(infohash);
    Path copy = leecher.dataDir().resolve("gone.bin");
    Files.delete(copy);

    Transfer again = leecher.download(DownloadRequest.newBuilder().setName("gone.bin").build());

    assertEquals(TransferState.TRANSFER_STATE_SEEDING, again.getState());
    assertEquals(16 * BLOCK, again.getDownloadedBytes(), "fetched whole again");
    assertArrayEquals(Files.readAllBytes(seeder.dataDir().resolve("gone.bin")),
        Files.readAllBytes(copy));
  }

  @Test
  void aFileDeletedWhileItIsSeededIsFetchedIntoTheDirectoryAGetNames() throws Exception {
    Peer seeder = swarm.peer("seeder");
    Peer leecher = swarm.peer("leecher");
    String infohash = share(seeder, "moved.bin", 16 * BLOCK, 8);
    leecher.download(infohash);
    Files.delete(leecher.dataDir().resolve("moved.bin"));

    // held nowhere now: no "already holds it elsewhere", the copy goes where it is asked for
    Transfer again = leecher.download(DownloadRequest.newBuilder().setInfohash(infohash)
        .setDestination("isos").build());

    Path copy = leecher.dataDir().resolve("isos").resolve("moved.bin");
    assertEquals(TransferState.TRANSFER_STATE_SEEDING, again.getState());
    assertEquals(copy.toString(), again.getPath());
    assertArrayEquals(Files.readAllBytes(seeder.dataDir().resolve("moved.bin")),
        Files.readAllBytes(copy));
    assertFalse(Files.exists(leecher.dataDir().resolve("moved.bin")));

    // and it is kept there: a restart finds it in its new place, seeding
    leecher.close();
    Peer restarted = swarm.peer("leecher");
    assertEquals(copy.toString(), restarted.transfer(infohash).orElseThrow().getPath());
  }

  @Test
  void aFileChangedWhileItIsSeededIsCheckedAgainAndRepairedWhenAskedFor() throws Exception {
    Peer seeder = swarm.peer("seeder");
    Peer leecher = swarm.peer("leecher");
    String infohash = share(seeder, "edited.bin", 16 * BLOCK, 7);
    leecher.download(infohash);
    Path copy = leecher.dataDir().resolve("edited.bin");
    flipByte(copy, 9 * BLOCK + 3);
    // an edit that lands within the clock's tick of the download's end still shows in the time
    Files.setLastModifiedTime(copy, FileTime.fromMillis(
        Files.getLastModifiedTime(copy).toMillis() + 2_000));

    Transfer again = leecher.download(infohash);

    assertEquals(TransferState.TRANSFER_STATE_SEEDING, again.getState());
    assertEquals(15, again.getBlocksResumed(), "every block but the changed one kept");
    assertEquals(BLOCK, again.getDownloadedBytes(), "only the changed block fetched again");
    assertArrayEquals(Files.readAllBytes(seeder.dataDir().resolve("edited.bin")),
        Files.readAllBytes(copy));
  }

  @Test
  void anUnchangedFinishedFileIsSeededAgainWithoutACheck() throws Exception {
    Peer seeder = swarm.peer("seeder");
    Peer leecher = swarm.peer("leecher");
    String infohash = share(seeder, "same.bin", 16 * BLOCK, 4);
    leecher.download(infohash);
    leecher.close();
    seeder.close(); // no one to fetch from: a check that found a fault could not complete

    Peer restarted = swarm.peer("leecher");
    Transfer seeding = restarted.transfer(infohash).orElseThrow();

    assertEquals(TransferState.TRANSFER_STATE_SEEDING, seeding.getState());
    assertTrue(Files.exists(restarted.dataDir().resolve("same.bin")));
  }

  @Test
  void aFileThatTakesTheNameMidwayIsNotReplacedAndGetFinishesOnceItIsMoved() throws Exception {
    Peer seeder = swarm.peer("seeder", c -> c.withUploadLimit(1024 * 1024));
    Peer leecher = swarm.peer("leecher");
    String infohash = share(seeder, "late.bin", 2 * 1024 * 1024, 5);
    CompletableFuture<Transfer> running = leecher.downloadAsync(infohash);
    Await.until(TIMEOUT, "the download is under way", () -> leecher.blocksHave(infohash) > 0);
    Path target = leecher.dataDir().resolve("late.bin");
    Files.writeString(target, "written meanwhile by someone else");

    var failure = org.junit.jupiter.api.Assertions.assertThrows(
        java.util.concurrent.ExecutionException.class, running::get);

    Status failed = Status.fromThrowable(failure.getCause());
    assertEquals(Status.Code.FAILED_PRECONDITION, failed.getCode(), failed.toString());
    assertTrue(failed.getDescription().contains("is not replaced"), failed.toString());
    assertEquals(TransferState.TRANSFER_STATE_FAILED,
        leecher.transfer(infohash).orElseThrow().getState());
    assertEquals("written meanwhile by someone else", Files.readString(target));
    Files.move(target, leecher.dataDir().resolve("theirs.txt"));
    Transfer done = leecher.download(infohash);
    assertEquals(TransferState.TRANSFER_STATE_SEEDING, done.getState());
    assertArrayEquals(Files.readAllBytes(seeder.dataDir().resolve("late.bin")),
        Files.readAllBytes(target));
  }

  @Test
  void aDownloadWhoseRecordCannotBeSavedLeavesNoTransferBehind() throws Exception {
    Peer seeder = swarm.peer("seeder");
    Peer leecher = swarm.peer("leecher");
    String infohash = share(seeder, "rec.bin", 4 * BLOCK, 6);
    Path records = leecher.dataDir().resolve(".minibit/transfers");
    Files.delete(records);
    Files.writeString(records, "not a directory"); // every save in it fails

    Status failed = assertStatus(Status.Code.FAILED_PRECONDITION, () -> drain(leecher.control()
        .download(DownloadRequest.newBuilder().setInfohash(infohash).build())));

    assertTrue(failed.getDescription().contains("file system error"), failed.toString());
    assertEquals(List.of(), leecher.control().listTransfers(
        ListTransfersRequest.getDefaultInstance()).getTransfersList());
    Files.delete(records);
    Files.createDirectory(records);
    Transfer done = leecher.download(infohash);
    assertEquals(TransferState.TRANSFER_STATE_SEEDING, done.getState());
  }

  @Test
  void aRecordThatLeadsOutOfTheDataDirectoryIsNotRestored() throws Exception {
    Peer seeder = swarm.peer("seeder");
    Peer leecher = swarm.peer("leecher");
    String infohash = share(seeder, "out.bin", 4 * BLOCK, 7);
    leecher.download(infohash);
    leecher.close();
    Path outside = Files.createDirectories(root.resolve("outside"));
    Files.copy(leecher.dataDir().resolve("out.bin"), outside.resolve("out.bin"));
    Files.writeString(leecher.dataDir().resolve(".minibit/transfers/" + infohash + ".location"),
        outside.toString(), StandardCharsets.UTF_8);

    Peer restarted = swarm.peer("leecher");

    assertFalse(restarted.transfer(infohash).isPresent(), "nothing served from " + outside);
    try (var files = Files.list(outside)) {
      assertEquals(List.of("out.bin"), files.map(f -> f.getFileName().toString()).toList());
    }
  }
}
