package io.minibit.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Context;
import io.minibit.api.v2.ListTorrentsRequest;
import io.minibit.api.v2.ListTransfersRequest;
import io.minibit.api.v2.ShareWithProgressRequest;
import io.minibit.api.v2.ShareWithProgressResponse;
import io.minibit.core.testing.Await;
import io.minibit.peer.server.PeerControlGrpcService;
import io.minibit.peer.testing.LocalSwarm;
import io.minibit.peer.testing.LocalSwarm.Peer;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ShareWithProgress: a big file's hashing streamed as it goes, and stopped by a cancel. */
class ShareProgressTest {
  private static final long MIB = 1024 * 1024;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @RegisterExtension
  final LocalSwarm swarm = LocalSwarm.builder().build();
  private final List<String> logged = new CopyOnWriteArrayList<>();
  private final Logger serviceLog = Logger.getLogger(PeerControlGrpcService.class.getName());
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord record) {
      logged.add(record.getMessage());
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  @BeforeEach
  void startSwarm() throws Exception {
    serviceLog.addHandler(capture);
  }

  @AfterEach
  void stopSwarm() throws Exception {
    serviceLog.removeHandler(capture);
  }

  /** A file of {@code size} zero bytes that takes no disk space: reading it costs no I/O. */
  private static void sparseFile(Path file, long size) throws Exception {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength(size);
    }
  }

  @Test
  void theHashingIsStreamedThenWhatWasShared() throws Exception {
    Peer peer = swarm.peer("seeder");
    long size = 96 * MIB + 5;
    sparseFile(peer.dataDir().resolve("big.img"), size);

    List<ShareWithProgressResponse> updates = new ArrayList<>();
    peer.control().shareWithProgress(ShareWithProgressRequest.newBuilder().setPath("big.img")
        .setProgressIntervalMs(100).build()).forEachRemaining(updates::add);

    ShareWithProgressResponse last = updates.get(updates.size() - 1);
    assertTrue(last.hasShared(), last.toString());
    assertEquals("big.img", last.getShared().getName());
    assertEquals(size, last.getShared().getSize());
    List<ShareWithProgressResponse> hashing = updates.subList(0, updates.size() - 1);
    assertFalse(hashing.isEmpty(), "the first batch is reported at once");
    assertEquals(8 * MIB, hashing.get(0).getBytesHashed());
    long previous = 0;
    for (ShareWithProgressResponse update : hashing) {
      assertFalse(update.hasShared());
      assertEquals(size, update.getSize());
      assertTrue(update.getBytesHashed() > previous && update.getBytesHashed() <= size,
          update.toString());
      previous = update.getBytesHashed();
    }
    assertTrue(swarm.trackerStub().listTorrents(ListTorrentsRequest.getDefaultInstance())
        .getTorrentsList().stream().anyMatch(t -> t.getName().equals("big.img")));
  }

  @Test
  void cancellingTheCallStopsTheHashingAndSharesNothing() throws Exception {
    Peer peer = swarm.peer("seeder");
    long size = 64 * 1024 * MIB; // far longer to hash than this test waits
    sparseFile(peer.dataDir().resolve("huge.img"), size);

    Context.CancellableContext call = Context.current().withCancellation();
    Context previous = call.attach();
    try {
      Iterator<ShareWithProgressResponse> updates = peer.control().shareWithProgress(
          ShareWithProgressRequest.newBuilder().setPath("huge.img").build());
      assertTrue(updates.next().getBytesHashed() < size);
    } finally {
      call.detach(previous);
      call.cancel(null);
    }

    String stopped = Await.until(TIMEOUT, "the daemon stops hashing",
        () -> logged.stream().filter(m -> m.startsWith("stopped hashing huge.img")).findFirst()
            .orElse(null), m -> m != null);
    assertTrue(stopped.contains("of " + size + " bytes hashed"), stopped);
    assertEquals(List.of(), peer.control().listTransfers(
        ListTransfersRequest.getDefaultInstance()).getTransfersList());
    assertFalse(swarm.trackerStub().listTorrents(ListTorrentsRequest.getDefaultInstance())
        .getTorrentsList().stream().anyMatch(t -> t.getName().equals("huge.img")));
  }
}
