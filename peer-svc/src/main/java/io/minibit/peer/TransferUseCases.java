package io.minibit.peer;

import io.minibit.core.telemetry.Telemetry;
import io.minibit.peer.download.DownloadLimiter;
import io.minibit.peer.download.FetchStats;
import io.minibit.peer.download.PeerChannels;
import io.minibit.peer.policy.Allocation;
import io.minibit.peer.session.TransferRecords;
import io.minibit.peer.swarm.Announcer;
import io.minibit.peer.swarm.TrackerClient;
import io.minibit.peer.telemetry.PeerMetrics;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Random;

/**
 * The daemon's use cases over its {@link TransferTable}, made together over one set of transfer
 * records, one download cache and one {@link TransferStarter}. Immutable; each part is
 * thread-safe.
 */
record TransferUseCases(FileSharer sharer, Downloader downloader, TransferRemover remover,
    CacheKeeper cacheKeeper, TransferRecovery recovery) {

  /** What the use cases share with the rest of the daemon, made by the daemon. */
  record Shared(Path dataDir, PeerConfig config, Clock clock, Random random, Telemetry telemetry,
      TrackerClient tracker, PeerChannels peerChannels, FetchStats fetchStats, PeerMetrics metrics,
      DaemonExecutors executors, TransferTable table, TransferRecords records,
      Announcer announcer) {}

  /** Wires the use cases; {@code shared.dataDir()} is the data directory's real path. */
  static TransferUseCases wire(Shared shared) {
    Path dataDir = shared.dataDir();
    PeerConfig config = shared.config();
    TransferTable table = shared.table();
    Announcer announcer = shared.announcer();
    TransferRecords records = shared.records();
    DownloadCache cache = new DownloadCache(config.limits(), records, shared.clock());
    TransferStarter starter = new TransferStarter(new TransferStarter.Wiring(config.peerId(),
        config.swarm(), shared.clock(), shared.random(), shared.peerChannels(),
        Allocation.named(config.swarm().allocation()), shared.fetchStats(),
        DownloadLimiter.of(config.limits().downloadBytesPerSecond()), shared.metrics()),
        shared.executors(), table, records, cache, announcer);
    TransferRemover remover = new TransferRemover(table, records, cache, announcer);
    CacheKeeper cacheKeeper = new CacheKeeper(config.limits(), cache, table, remover);
    return new TransferUseCases(
        new FileSharer(dataDir, shared.executors(), shared.tracker(), table, records, starter,
            announcer),
        new Downloader(dataDir, shared.clock(), shared.telemetry().tracer(), shared.tracker(),
            table, records, cache, cacheKeeper, starter, announcer),
        remover,
        cacheKeeper,
        new TransferRecovery(dataDir, shared.telemetry().tracer(), table, records, cache, starter,
            announcer));
  }
}
