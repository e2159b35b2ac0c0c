package io.minibit.peer;

import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import io.minibit.peer.control.Usage;
import io.minibit.peer.session.TorrentSession;
import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Holds the downloaded files within {@code --cache-max-bytes} and {@code --seed-ttl}: removes
 * what the {@link DownloadCache} says to, every second and before a download that needs room.
 * Thread-safe.
 */
final class CacheKeeper {
  private static final Logger log = DaemonLog.LOG;

  private final PeerConfig.Limits limits;
  private final DownloadCache cache;
  private final TransferTable table;
  private final TransferRemover remover;

  CacheKeeper(PeerConfig.Limits limits, DownloadCache cache, TransferTable table,
      TransferRemover remover) {
    this.limits = limits;
    this.cache = cache;
    this.table = table;
    this.remover = remover;
  }

  /**
   * Every second: removes the downloaded files the cache's limits say to (idle past
   * {@code --seed-ttl}, or the least recently used while over {@code --cache-max-bytes}), and
   * notes when each was last used.
   */
  void keepCache() {
    try {
      for (TorrentSession session : cache.toEvict(table.sessions(), 0)) {
        evict(session);
      }
      cache.save(table.sessions());
    } catch (RuntimeException e) {
      log.log(Level.WARNING, "keeping the cache failed", e);
    }
  }

  /**
   * Removes the least recently used downloaded files until {@code torrent} fits in the cache;
   * RESOURCE_EXHAUSTED if it could never fit. The caller holds the table's lock.
   */
  void makeRoom(Torrent torrent) {
    long max = limits.cacheMaxBytes();
    if (max > 0 && torrent.size() > max) {
      throw new MinibitException(ErrorCode.RESOURCE_EXHAUSTED, String.format(
          "%s is %d bytes, more than the cache may hold (--cache-max-bytes %d)",
          torrent.name(), torrent.size(), max));
    }
    for (TorrentSession session : cache.toEvict(table.sessions(), torrent.size())) {
      evict(session);
    }
  }

  private void evict(TorrentSession session) {
    InfoHash infoHash = session.torrent().infoHash();
    try {
      remover.remove(infoHash, true);
      cache.evicted();
      log.info(() -> String.format("evicted %s from the cache (last used %s; the cache now "
          + "holds %d bytes)", session, session.lastUploadAt() == null ? "before this start"
          : session.lastUploadAt(), cache.bytes(table.sessions())));
    } catch (MinibitException e) {
      // removed meanwhile by its owner: nothing left to do
    } catch (IOException e) {
      log.warning(() -> "cannot evict " + session + ": " + e.getMessage());
    }
  }

  /** The daemon's limits and how much of them is in use. */
  Usage usage() {
    return new Usage(limits, cache.bytes(table.sessions()), cache.evictions());
  }
}
