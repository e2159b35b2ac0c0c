package io.minibit.peer;

import io.minibit.core.MinibitException;
import io.minibit.core.SafePaths;
import io.minibit.core.Torrent;
import io.minibit.core.store.BlockStore;
import io.minibit.peer.session.TorrentSession;
import io.minibit.peer.session.TransferRecords;
import io.minibit.peer.session.TransferRecords.FileStamp;
import io.minibit.peer.swarm.Announcer;
import io.minibit.peer.telemetry.DownloadTrace;
import io.opentelemetry.api.trace.Tracer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Brings back, at start, the transfers an earlier run left in its records: seeds again what it
 * finished, checks again (and repairs from the swarm) any file that changed since it was
 * verified, resumes what it did not finish, and forgets what is gone. Runs once, before the
 * daemon takes calls; each transfer starts under the {@link TransferTable}'s lock.
 */
final class TransferRecovery {
  private static final Logger log = DaemonLog.LOG;

  private final Path dataDir;
  private final Tracer tracer;
  private final TransferTable table;
  private final TransferRecords records;
  private final DownloadCache cache;
  private final TransferStarter starter;
  private final Announcer announcer;

  /** @param dataDir the data directory, its real path */
  TransferRecovery(Path dataDir, Tracer tracer, TransferTable table, TransferRecords records,
      DownloadCache cache, TransferStarter starter, Announcer announcer) {
    this.dataDir = dataDir;
    this.tracer = tracer;
    this.table = table;
    this.records = records;
    this.cache = cache;
    this.starter = starter;
    this.announcer = announcer;
  }

  /**
   * Seeds again what an earlier run finished, checking again (and repairing from the swarm) any
   * file that changed since it was verified; resumes what it did not finish.
   */
  void restore() throws IOException {
    for (TransferRecords.Record record : records.loadAll()) {
      Torrent torrent = record.torrent();
      try {
        if (!Files.isDirectory(record.directory())) {
          log.warning(() -> "forgetting " + torrent + ": " + record.directory() + " is gone");
          records.delete(torrent.infoHash());
          continue;
        }
        // a record is state on disk like any other input: it may not lead out of the data directory
        Path directory = SafePaths.existingInside(dataDir, record.directory().toString());
        if (directory.startsWith(dataDir.resolve(PeerConfig.STATE_DIR))) {
          throw MinibitException.invalid("%s is the daemon's state directory", directory);
        }
        record.lastUse().ifPresent(when -> cache.add(torrent.infoHash(), when));
        restore(torrent, directory, record.verified());
      } catch (IOException | MinibitException e) {
        log.warning(() -> "cannot restore " + torrent + " from " + record.directory() + ": "
            + e.getMessage());
      }
    }
  }

  private void restore(Torrent torrent, Path directory, Optional<FileStamp> verified)
      throws IOException {
    synchronized (table) {
      Path file = directory.resolve(torrent.name());
      BlockStore.adoptLegacyPart(directory, torrent);
      if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        BlockStore.clearFinishLeftovers(directory, torrent);
        FileStamp now = FileStamp.of(file);
        if (verified.isPresent() && verified.get().equals(now)) {
          TorrentSession session = starter.newSession(torrent,
              BlockStore.openComplete(torrent, file));
          announcer.add(session, session::heardFromTracker);
          log.info(() -> "seeding " + torrent + " again from " + file);
          return;
        }
        log.warning(() -> String.format("%s changed since it was verified (%s, now %d bytes): "
            + "checking every block again, and fetching the ones that fail", file,
            verified.map(stamp -> stamp.size() + " bytes then").orElse("no record of it"),
            now.size()));
        starter.startDownload(torrent, BlockStore.reverify(torrent, directory),
            restoredTrace(torrent));
      } else if (Files.exists(BlockStore.partPath(directory, torrent),
          LinkOption.NOFOLLOW_LINKS)) {
        starter.startDownload(torrent, BlockStore.openUnchecked(torrent, directory),
            restoredTrace(torrent));
      } else {
        log.warning(() -> "forgetting " + torrent + ": " + file + " is gone");
        records.delete(torrent.infoHash());
      }
    }
  }

  private DownloadTrace restoredTrace(Torrent torrent) {
    DownloadTrace trace = DownloadTrace.start(tracer, torrent.infoHash().hex());
    trace.torrent(torrent);
    return trace;
  }
}
