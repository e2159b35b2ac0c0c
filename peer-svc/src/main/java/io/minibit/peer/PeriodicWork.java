package io.minibit.peer;

import io.minibit.peer.session.TorrentSession;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The daemon's periodic work over every transfer: the upload slots given out again, offers
 * topped up, peers exchanged, the cache kept. A failure with one transfer is logged and does
 * not stop the others. Runs on the scheduler it is given.
 */
final class PeriodicWork {
  private static final Logger log = DaemonLog.LOG;

  private final TransferTable table;
  private final CacheKeeper cacheKeeper;

  PeriodicWork(TransferTable table, CacheKeeper cacheKeeper) {
    this.table = table;
    this.cacheKeeper = cacheKeeper;
  }

  /** Starts every task on {@code scheduler}; the slots are given out every {@code choke}. */
  void schedule(ScheduledExecutorService scheduler, Duration choke) {
    long every = choke.toMillis();
    scheduler.scheduleAtFixedRate(this::rechoke, every, every, TimeUnit.MILLISECONDS);
    scheduler.scheduleAtFixedRate(this::topUpOffers, 1, 1, TimeUnit.SECONDS);
    scheduler.scheduleAtFixedRate(this::exchangePeers, 1, 1, TimeUnit.SECONDS);
    scheduler.scheduleAtFixedRate(cacheKeeper::keepCache, 1, 1, TimeUnit.SECONDS);
  }

  /** Every choke interval: each torrent's upload slots are given out again. */
  private void rechoke() {
    forEach("rechoking ", session -> session.uploadSlots().rechoke());
  }

  /** Every second: seeders offer more blocks to peers that got their offered ones elsewhere. */
  private void topUpOffers() {
    forEach("offering blocks of ", TorrentSession::topUpOffers);
  }

  /** Every second: each torrent tells its subscribers the peers they are due (peer exchange). */
  private void exchangePeers() {
    forEach("exchanging peers of ", TorrentSession::exchangePeers);
  }

  /** Runs {@code task} on every session; logs "{@code what} SESSION failed" for one that throws. */
  private void forEach(String what, Consumer<TorrentSession> task) {
    for (TorrentSession session : table.sessions()) {
      try {
        task.accept(session);
      } catch (RuntimeException e) {
        log.log(Level.WARNING, what + session + " failed", e);
      }
    }
  }
}
