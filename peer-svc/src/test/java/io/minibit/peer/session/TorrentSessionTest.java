package io.minibit.peer.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.core.Bitfield;
import io.minibit.core.ErrorCode;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import io.minibit.core.store.BlockStore;
import io.minibit.core.testing.MutableClock;
import io.minibit.core.testing.TestFiles;
import io.minibit.peer.policy.Choker;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a session reads from its download view, and when it says a newcomer subscribed. */
class TorrentSessionTest {
  private static final int BLOCK = 16 * 1024;

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock();
  private final AtomicInteger newcomers = new AtomicInteger();
  private final FakeDownload download = new FakeDownload();
  private Torrent torrent;
  private BlockStore store;
  private TorrentSession session;

  /** A download a test scripts: its sources, what each holds, why it is slow. */
  private static final class FakeDownload implements DownloadView {
    volatile String stallReason = "";
    volatile Set<String> sources = Set.of();
    volatile Map<String, Bitfield> bitfields = Map.of();
    volatile List<PeerSnapshot> peers = List.of();

    @Override
    public List<PeerSnapshot> peers() {
      return peers;
    }

    @Override
    public double receivedRate(String peerId) {
      return 0;
    }

    @Override
    public Bitfield bitfieldOf(String peerId) {
      return bitfields.get(peerId);
    }

    @Override
    public boolean lacksSource(String peerId) {
      return !sources.contains(peerId);
    }

    @Override
    public String stallReason() {
      return stallReason;
    }
  }

  @BeforeEach
  void openSession() throws IOException {
    Path seedDir = Files.createDirectories(dir.resolve("seed"));
    torrent = TestFiles.torrentFor(
        TestFiles.createFile(seedDir, "file.bin", 4 * BLOCK, 7), BLOCK);
    store = BlockStore.openPartial(torrent, Files.createDirectories(dir.resolve("partial")));
    session = new TorrentSession(torrent, store, clock, Runnable::run, (delay, task) -> { },
        new Choker(Choker.Mode.TIT_FOR_TAT, 4, Duration.ofSeconds(10), new Random(6)), false,
        new PeerExchange("self", clock, learned -> { }), download, newcomers::incrementAndGet);
  }

  @AfterEach
  void closeStore() throws IOException {
    store.close();
  }

  @Test
  void theStallReasonIsAskedOfTheDownloadWhenASnapshotIsTaken() {
    assertEquals(SessionState.DOWNLOADING, session.state());
    assertEquals("", session.snapshot().error());

    download.stallReason = "no peers in the swarm yet";

    assertEquals("no peers in the swarm yet", session.snapshot().error());
  }

  @Test
  void aFailureReasonReplacesTheStallReason() {
    download.stallReason = "no peers in the swarm yet";

    session.fail(new MinibitException(ErrorCode.DATA_LOSS, "the file does not hash right"));

    TransferSnapshot snapshot = session.snapshot();
    assertEquals(SessionState.FAILED, snapshot.state());
    assertEquals("the file does not hash right", snapshot.error());
  }

  @Test
  void theSnapshotListsTheDownloadsSourcesThenThePeersOnlyServed() {
    download.peers = List.of(new PeerSnapshot("src", "10.0.0.1:7000", 3, 3 * BLOCK, 4, true, 0,
        "active", 1.5, 100, 1.0, 0, false, false, 0));
    session.uploadSlots().admit("leecher", "10.0.0.2");
    session.uploadSlots().recordSent("leecher", BLOCK);

    List<PeerSnapshot> peers = session.snapshot().peers();

    assertEquals(List.of("src", "leecher"), peers.stream().map(PeerSnapshot::peerId).toList());
    assertEquals("10.0.0.2", peers.get(1).address());
    assertEquals(BLOCK, peers.get(1).bytesSent());
  }

  @Test
  void aSubscriberTheDownloadDoesNotKnowIsANewcomerOnlyWhileDownloading() {
    download.sources = Set.of("known");

    session.subscribe("known", "10.0.0.1", "c1", new Bitfield(torrent.blockCount()),
        false, new FakeSubscribeStream());
    assertEquals(0, newcomers.get(), "a source of the download is no news");

    session.subscribe("stranger", "10.0.0.2", "c2", new Bitfield(torrent.blockCount()),
        false, new FakeSubscribeStream());
    assertEquals(1, newcomers.get());
  }

  @Test
  void aSlotFreedByASubscriberThatLeavesGoesAtOnceToOneWaiting() throws Exception {
    byte[] file = Files.readAllBytes(dir.resolve("seed/file.bin"));
    store.write(0, ByteBuffer.wrap(file, 0, BLOCK)); // every subscriber below lacks it
    Bitfield nothing = new Bitfield(torrent.blockCount());
    List<FakeSubscribeStream> streams = new ArrayList<>();
    for (int i = 0; i < 6; i++) { // 4 regular slots and the optimistic one: the sixth waits
      FakeSubscribeStream stream = new FakeSubscribeStream();
      streams.add(stream);
      session.subscribe("p" + i, "10.0.0." + (i + 1), "c" + i, nothing, false, stream);
    }
    FakeSubscribeStream waiting = streams.get(5);
    assertEquals(List.of("BITFIELD", "CHOKE"), waiting.kinds());

    streams.get(0).onCancel.run(); // p0 goes away

    assertEquals(List.of("BITFIELD", "CHOKE", "UNCHOKE"), waiting.kinds(),
        "its slot is not kept empty until the next round");
    assertFalse(session.uploadSlots().isChoking("p5"));
  }

  @Test
  void interestIsJudgedByWhatTheDownloadLastHeardElseByWhatTheSubscriberSaid() throws Exception {
    byte[] file = Files.readAllBytes(dir.resolve("seed/file.bin"));
    store.write(0, ByteBuffer.wrap(file, 0, BLOCK));
    assertTrue(store.bitfield().get(0));
    Bitfield hasBlockZero = new Bitfield(torrent.blockCount());
    hasBlockZero.set(0);

    session.subscribe("p", "10.0.0.1", "c1", hasBlockZero, false, new FakeSubscribeStream());
    assertFalse(session.isInterested("p"), "it said it holds all we hold");

    download.bitfields = Map.of("p", new Bitfield(torrent.blockCount()));
    assertTrue(session.isInterested("p"), "the download heard it lacks block 0");
  }
}
