package io.minibit.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.api.v2.ShareRequest;
import io.minibit.api.v2.Transfer;
import io.minibit.api.v2.TransferPeer;
import io.minibit.api.v2.TransferState;
import io.minibit.core.Bitfield;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.TestFiles;
import io.minibit.peer.testing.LocalSwarm;
import io.minibit.peer.testing.LocalSwarm.Peer;
import io.minibit.peer.testing.ScriptedPeer;
import io.minibit.peer.testing.ScriptedPeer.Behaviour;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The swarm policies at work in swarms of real daemons and scripted peers. */
class SwarmPoliciesTest {
  private static final int BLOCK = 64 * 1024;
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path root;
  @RegisterExtension
  final LocalSwarm swarm = LocalSwarm.builder().build();

  static TransferPeer peerEntry(Transfer transfer, String address) {
    return transfer.getPeersList().stream().filter(p -> p.getAddress().equals(address))
        .findFirst().orElseThrow(() -> new AssertionError("no " + address + " in " + transfer));
  }

  @Test
  void theBlockOnlyOnePeerHoldsIsTheFirstAskedOfIt() throws Exception {
    TestFiles.SharedFile file = TestFiles.share(root, "rare.bin", 256 * BLOCK, BLOCK, 21);
    int rare = 137;
    Bitfield common = Bitfield.full(256);
    common.clear(rare);
    // They start choked and unchoke together, once all three bitfields are known.
    try (ScriptedPeer holder = ScriptedPeer.join(swarm, "holder", file, Bitfield.full(256),
            Behaviour.HONEST, true);
        ScriptedPeer b = ScriptedPeer.join(swarm, "b", file, common, Behaviour.HONEST, true);
        ScriptedPeer c = ScriptedPeer.join(swarm, "c", file, common, Behaviour.HONEST, true)) {
      Peer leecher = swarm.peer("leecher");
      CompletableFuture<Transfer> done = CompletableFuture.supplyAsync(
          () -> leecher.download(file.torrent().infoHash().hex()));
      Await.until(TIMEOUT, "the leecher knows all three bitfields", () -> leecher
          .transfer(file.torrent().infoHash().hex())
          .map(t -> t.getPeersList().stream().mapToInt(TransferPeer::getBlocksAvailable).sum())
          .orElse(0) == 256 + 255 + 255);
      holder.unchokeAll();
      b.unchokeAll();
      c.unchokeAll();

      Transfer finished = done.get();
      assertEquals(TransferState.TRANSFER_STATE_SEEDING, finished.getState(), finished.toString());
      List<Integer> askedOfHolder = holder.requested();
      int position = askedOfHolder.indexOf(rare);
      assertTrue(position >= 0 && position < RarestFirstPickerPositions.FIRST_CALLS,
          "block " + rare + " is asked of its only holder at position " + position + " of "
              + askedOfHolder);
      assertFalse(b.requested().contains(rare) || c.requested().contains(rare));
    }
  }

  /**
   * How early "first" is: right after the random start, which takes only the first few blocks
   * of the download, so within the holder's first call or two (the three peers unchoke at once
   * and their first calls interleave). Picked at random, the rare block would come on average
   * half-way through the holder's share.
   */
  private static final class RarestFirstPickerPositions {
    static final int FIRST_CALLS = io.minibit.peer.policy.RarestFirstPicker.RANDOM_FIRST + 3 * 4;
  }

  @Test
  void aLeecherFetchesFromAnotherThatIsStillDownloading() throws Exception {
    Peer seeder = swarm.peer("seeder", c -> c.withUploadLimit(1024 * 1024));
    TestFiles.createFile(seeder.dataDir(), "relay.bin", 3 * 1024 * 1024, 22);
    String infohash = seeder.control().share(
        ShareRequest.newBuilder().setPath("relay.bin").setBlockSize(BLOCK).build()).getInfohash();
    Peer first = swarm.peer("first");
    CompletableFuture<Transfer> firstDone = first.downloadAsync(infohash);
    Await.until(TIMEOUT, "the first leecher has a few blocks",
        () -> first.blocksHave(infohash) >= 4);

    Peer second = swarm.peer("second");
    CompletableFuture<Transfer> secondDone = second.downloadAsync(infohash);
    Transfer whileRelaying = Await.until(TIMEOUT, "a block relayed by the first leecher",
        () -> second.transfer(infohash).orElse(Transfer.getDefaultInstance()),
        t -> t.getPeersList().stream().anyMatch(p -> p.getAddress().equals(swarm.address("first"))
            && p.getBlocksReceived() > 0));
    assertEquals(TransferState.TRANSFER_STATE_DOWNLOADING,
        first.transfer(infohash).orElseThrow().getState(),
        "the first leecher was still downloading when it served the second: " + whileRelaying);

    assertEquals(TransferState.TRANSFER_STATE_SEEDING, firstDone.get().getState());
    assertEquals(TransferState.TRANSFER_STATE_SEEDING, secondDone.get().getState());
    assertArrayEquals(Files.readAllBytes(seeder.dataDir().resolve("relay.bin")),
        Files.readAllBytes(second.dataDir().resolve("relay.bin")));
  }

  @Test
  void aPeerThatStallsForeverDoesNotHoldTheDownloadBack() throws Exception {
    // 14 MiB at 2 MiB/s: the staller's blocks run late long before the seeder is done.
    TestFiles.SharedFile file = TestFiles.share(root, "tail.bin", 224 * BLOCK, BLOCK, 23);
    Peer seeder = swarm.peer("seeder", c -> c.withUploadLimit(2 * 1024 * 1024));
    Files.copy(file.path(), seeder.dataDir().resolve("tail.bin"));
    String infohash = seeder.control().share(
        ShareRequest.newBuilder().setPath("tail.bin").setBlockSize(BLOCK).build()).getInfohash();
    try (ScriptedPeer staller = ScriptedPeer.join(swarm, "staller", file, Bitfield.full(224),
        Behaviour.STALL, false)) {
      Peer leecher = swarm.peer("leecher");
      long started = System.nanoTime();
      Transfer done = leecher.download(infohash);
      Duration took = Duration.ofNanos(System.nanoTime() - started);

      assertEquals(TransferState.TRANSFER_STATE_SEEDING, done.getState());
      assertFalse(staller.requested().isEmpty(), "the staller was asked for blocks");
      assertTrue(took.compareTo(Duration.ofSeconds(20)) < 0,
          "late blocks went to the seeder well before the staller's deadline: " + took);
      TransferPeer stalled = peerEntry(done, swarm.address("staller"));
      assertEquals(0, stalled.getBlocksReceived());
      assertTrue(stalled.getStatus().contains("late"), "the stall is explained: " + stalled);
      assertArrayEquals(file.content(), Files.readAllBytes(leecher.dataDir().resolve("tail.bin")));
    }
  }
}
