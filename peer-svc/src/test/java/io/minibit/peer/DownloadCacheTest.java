package io.minibit.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.minibit.api.v2.DaemonUsage;
import io.minibit.api.v2.ListTransfersRequest;
import io.minibit.api.v2.ShareRequest;
import io.minibit.api.v2.TransferState;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.TestFiles;
import io.minibit.peer.testing.LocalSwarm;
import io.minibit.peer.testing.LocalSwarm.Peer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The downloaded files as a cache, through real daemons: {@code --cache-max-bytes} deletes the
 * least recently used of them to make room, {@code --seed-ttl} the idle ones, and neither ever
 * touches a file a user shared.
 */
class DownloadCacheTest {
  private static final int BLOCK = 64 * 1024;
  private static final int MIB = 1024 * 1024;
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  @RegisterExtension
  final LocalSwarm swarm = LocalSwarm.builder().build();
  private Peer seeder;

  @BeforeEach
  void startSwarm() throws Exception {
    seeder = swarm.peer("seeder", c -> c.withLimits(
        new PeerConfig.Limits(0, 0, MIB, Duration.ofSeconds(1))));
  }

  private String share(String name, int size) throws Exception {
    TestFiles.createFile(seeder.dataDir(), name, size, name.hashCode());
    return seeder.control().share(
        ShareRequest.newBuilder().setPath(name).setBlockSize(BLOCK).build()).getInfohash();
  }

  private static DaemonUsage usage(Peer peer) {
    return peer.control().listTransfers(ListTransfersRequest.getDefaultInstance()).getUsage();
  }

  @Test
  void overTheCacheTheLeastRecentlyUsedDownloadGoesToMakeRoom() throws Exception {
    String a = share("a.bin", 2 * MIB);
    String b = share("b.bin", 2 * MIB);
    String c = share("c.bin", 2 * MIB);
    Peer leecher = swarm.peer("leecher", config -> config.withLimits(
        new PeerConfig.Limits(0, 0, 5 * MIB, Duration.ZERO)));
    leecher.download(a);
    leecher.download(b);
    assertEquals(4 * MIB, usage(leecher).getCacheBytes());

    leecher.download(a); // held already: a use, so b is now the older one
    leecher.download(c);

    assertTrue(Files.exists(leecher.dataDir().resolve("a.bin")));
    assertFalse(Files.exists(leecher.dataDir().resolve("b.bin")), "b was least recently used");
    assertTrue(leecher.transfer(b).isEmpty());
    assertEquals(TransferState.TRANSFER_STATE_SEEDING,
        leecher.transfer(c).orElseThrow().getState());
    DaemonUsage usage = usage(leecher);
    assertEquals(4 * MIB, usage.getCacheBytes());
    assertEquals(5 * MIB, usage.getCacheMaxBytes());
    assertEquals(1, usage.getEvictions());
    try (Stream<Path> records = Files.list(leecher.dataDir().resolve(".minibit/transfers"))) {
      assertTrue(records.noneMatch(record -> record.getFileName().toString().startsWith(b)),
          "b's transfer record is gone with it");
    }
  }

  @Test
  void aFileLargerThanTheWholeCacheIsRefusedBeforeAnythingIsDeleted() throws Exception {
    String small = share("small.bin", MIB);
    String large = share("large.bin", 3 * MIB);
    Peer leecher = swarm.peer("leecher", config -> config.withLimits(
        new PeerConfig.Limits(0, 0, 2 * MIB, Duration.ZERO)));
    leecher.download(small);

    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
        () -> leecher.download(large));

    assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());
    assertTrue(refused.getStatus().getDescription().contains("--cache-max-bytes"),
        refused.getStatus().getDescription());
    assertTrue(Files.exists(leecher.dataDir().resolve("small.bin")));
    assertEquals(0, usage(leecher).getEvictions());
  }

  @Test
  void aDownloadNobodyAsksForPastTheSeedTtlIsDeletedButASharedFileNeverIs() throws Exception {
    String infohash = share("idle.bin", 2 * MIB); // over the seeder's own 1 MiB cache, and idle
    Peer leecher = swarm.peer("leecher", config -> config.withLimits(
        new PeerConfig.Limits(0, 0, 0, Duration.ofSeconds(1))));
    leecher.download(infohash);

    Await.until(TIMEOUT, "the idle download is evicted, its file deleted",
        () -> usage(leecher).getEvictions() == 1);

    assertTrue(leecher.transfer(infohash).isEmpty());
    assertFalse(Files.exists(leecher.dataDir().resolve("idle.bin")));
    assertEquals(1000, usage(leecher).getSeedTtlMs());
    // The seeder has the same TTL and a cache smaller than the file: neither applies to a share.
    assertTrue(Files.exists(seeder.dataDir().resolve("idle.bin")));
    assertEquals(TransferState.TRANSFER_STATE_SEEDING,
        seeder.transfer(infohash).orElseThrow().getState());
    assertEquals(0, usage(seeder).getEvictions());
    assertEquals(0, usage(seeder).getCacheBytes());
  }
}
