package io.minibit.peer;

import io.minibit.core.ErrorCode;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import io.minibit.core.store.BlockStore;
import io.minibit.peer.download.Download;
import io.minibit.peer.download.DownloadLimiter;
import io.minibit.peer.download.FetchStats;
import io.minibit.peer.download.PeerChannels;
import io.minibit.peer.policy.Allocation;
import io.minibit.peer.policy.Choker;
import io.minibit.peer.session.PeerExchange;
import io.minibit.peer.session.TorrentSession;
import io.minibit.peer.session.TransferRecords;
import io.minibit.peer.session.TransferRecords.FileStamp;
import io.minibit.peer.swarm.Announcer;
import io.minibit.peer.telemetry.DownloadTrace;
import io.minibit.peer.telemetry.PeerMetrics;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Random;
import java.util.logging.Logger;

/**
 * Makes the session of a torrent and runs its download: checks the blocks already on disk
 * first if there are any, then fetches the rest, and notes the verified file. Every use case
 * that starts a transfer (share, get, retry, recovery at start) goes through here. Thread-safe:
 * a start holds the {@link TransferTable}'s lock.
 */
final class TransferStarter {
  private static final Logger log = DaemonLog.LOG;

  /** What a download needs of the daemon, made once at its start. */
  record Wiring(String peerId, PeerConfig.Swarm swarm, Clock clock, Random random,
      PeerChannels peerChannels, Allocation allocation, FetchStats fetchStats,
      DownloadLimiter downloadLimiter, PeerMetrics metrics) {}

  private final Wiring wiring;
  private final DaemonExecutors executors;
  private final TransferTable table;
  private final TransferRecords records;
  private final DownloadCache cache;
  private final Announcer announcer;

  TransferStarter(Wiring wiring, DaemonExecutors executors, TransferTable table,
      TransferRecords records, DownloadCache cache, Announcer announcer) {
    this.wiring = wiring;
    this.executors = executors;
    this.table = table;
    this.records = records;
    this.cache = cache;
    this.announcer = announcer;
  }

  /** A new session of {@code torrent} over {@code store}, in the table. */
  TorrentSession newSession(Torrent torrent, BlockStore store) {
    PeerConfig.Swarm swarm = wiring.swarm();
    Choker choker = new Choker(swarm.choking(), swarm.uploadSlots(), swarm.optimisticInterval(),
        wiring.random());
    TorrentSession session = new TorrentSession(torrent, store, wiring.clock(),
        executors.hashExecutor(), executors::haveTimer, choker, swarm.superSeeding(),
        new PeerExchange(wiring.peerId(), wiring.clock(), wiring.metrics()::peersExchanged),
        new RunningDownloadView(() -> table.download(torrent.infoHash())),
        () -> announcer.peerJoined(torrent.infoHash()));
    table.put(session);
    return session;
  }

  /**
   * Runs the download of {@code torrent} into {@code store}, whose record is saved already; the
   * caller holds the table's lock. If it cannot start, the store is closed and no session is
   * left behind.
   */
  TorrentSession startDownload(Torrent torrent, BlockStore store, DownloadTrace trace)
      throws IOException {
    try {
      return runDownload(torrent, store, trace);
    } catch (RuntimeException e) {
      table.remove(torrent.infoHash());
      table.removeDownload(torrent.infoHash());
      announcer.remove(torrent.infoHash());
      store.close();
      throw e;
    }
  }

  private TorrentSession runDownload(Torrent torrent, BlockStore store, DownloadTrace trace) {
    TorrentSession session = newSession(torrent, store);
    if (store.uncheckedBlocks() == 0) {
      fetch(session, trace);
      return session;
    }
    // Hashing what a large file already holds takes a while: the transfer shows as checking
    // meanwhile, and no control call waits for it.
    log.info(() -> String.format("checking the %d blocks of %s already in %s",
        store.uncheckedBlocks(), torrent, store.finalPath().getParent()));
    executors.shareHashers().execute(() -> checkThenFetch(session, trace));
    return session;
  }

  /** Hashes the blocks {@code session}'s store claims, then fetches the rest. */
  private void checkThenFetch(TorrentSession session, DownloadTrace trace) {
    Torrent torrent = session.torrent();
    try {
      session.store().check();
    } catch (ClosedChannelException e) {
      return; // the transfer was removed meanwhile
    } catch (IOException | RuntimeException e) {
      synchronized (table) {
        if (table.get(torrent.infoHash()) == session) {
          session.fail(new MinibitException(ErrorCode.INTERNAL, String.format(
              "cannot check the blocks of %s already on disk: %s", torrent.name(),
              e.getMessage()), e));
          trace.end(e);
        }
      }
      return;
    }
    synchronized (table) {
      if (table.get(torrent.infoHash()) != session) {
        return; // removed meanwhile
      }
      session.checked();
      try {
        fetch(session, trace);
      } catch (RuntimeException e) {
        table.removeDownload(torrent.infoHash());
        announcer.remove(torrent.infoHash());
        session.fail(new MinibitException(ErrorCode.INTERNAL,
            "cannot start the download of " + torrent.name() + ": " + e.getMessage(), e));
        trace.end(e);
      }
    }
  }

  /** Starts fetching what {@code session}'s store lacks; the caller holds the table's lock. */
  private void fetch(TorrentSession session, DownloadTrace trace) {
    Torrent torrent = session.torrent();
    BlockStore store = session.store();
    Download download = new Download(session, wiring.peerId(), wiring.peerChannels(),
        executors.downloadLoop(), executors.scheduler(), executors.hashExecutor(), wiring.clock(),
        wiring.random(),
        wiring.allocation(), trace, wiring.fetchStats(), wiring.downloadLimiter(), path -> {
          cache.used(torrent.infoHash());
          noteVerified(torrent, path);
        });
    table.putDownload(torrent.infoHash(), download);
    session.completion().whenComplete((path, failure) -> {
      table.removeDownload(torrent.infoHash());
      wiring.metrics().downloadEnded(session, failure);
      if (failure == null) {
        announcer.completed(session);
      }
      trace.end(failure);
    });
    log.info(() -> String.format("downloading %s into %s (%d of %d blocks already here)",
        torrent, store.finalPath().getParent(), store.resumedBlocks(), torrent.blockCount()));
    announcer.add(session, download::addPeers, trace.context());
    download.start();
  }

  /**
   * Remembers how the verified file of {@code torrent} looks, to tell after a restart if it
   * changed.
   */
  private void noteVerified(Torrent torrent, Path file) {
    try {
      records.saveVerified(torrent, FileStamp.of(file));
    } catch (IOException e) {
      log.warning(() -> "cannot note that " + file + " is verified (it will be checked again "
          + "after a restart): " + e.getMessage());
    }
  }
}
