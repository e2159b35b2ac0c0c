package io.minibit.peer;

import io.grpc.Status;
import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.peer.download.Download;
import io.minibit.peer.session.TorrentSession;
import io.minibit.peer.session.TransferRecords;
import io.minibit.peer.swarm.Announcer;
import java.io.IOException;
import java.util.logging.Logger;

/**
 * The remove use case, for a caller and for the cache's evictions alike: stops a transfer,
 * leaves its swarm, forgets its record and closes (or deletes) its file. Thread-safe: the
 * transfer leaves the {@link TransferTable} under its lock; the rest needs none.
 */
final class TransferRemover {
  private static final Logger log = DaemonLog.LOG;

  private final TransferTable table;
  private final TransferRecords records;
  private final DownloadCache cache;
  private final Announcer announcer;

  TransferRemover(TransferTable table, TransferRecords records, DownloadCache cache,
      Announcer announcer) {
    this.table = table;
    this.records = records;
    this.cache = cache;
    this.announcer = announcer;
  }

  /** Stops a transfer and leaves its swarm; deletes its file too if asked. */
  void remove(InfoHash infoHash, boolean deleteData) throws IOException {
    TorrentSession session;
    synchronized (table) {
      session = table.remove(infoHash);
      if (session == null) {
        throw MinibitException.notFound("this peer has no transfer %s", infoHash);
      }
      records.delete(infoHash);
      cache.forget(infoHash);
    }
    Download download = table.removeDownload(infoHash);
    if (download != null) {
      download.close();
    }
    announcer.remove(infoHash);
    session.subscribers().closeAll(Status.NOT_FOUND.withDescription("torrent removed"));
    session.fail(new MinibitException(ErrorCode.NOT_FOUND, "the transfer was removed"));
    if (deleteData) {
      session.store().delete();
    } else {
      session.store().close();
    }
    log.info(() -> "removed " + session + (deleteData ? " and its data" : ""));
  }
}
