package io.minibit.peer;

import io.minibit.core.ErrorCode;
import io.minibit.core.ManifestBuilder;
import io.minibit.core.MinibitException;
import io.minibit.core.SafePaths;
import io.minibit.core.Torrent;
import io.minibit.core.Validation;
import io.minibit.core.store.BlockStore;
import io.minibit.peer.session.TorrentSession;
import io.minibit.peer.session.TransferRecords;
import io.minibit.peer.session.TransferRecords.FileStamp;
import io.minibit.peer.swarm.Announcer;
import io.minibit.peer.swarm.TrackerClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The share use case: hashes a file of the data directory, publishes its manifest to the
 * tracker and seeds it. Thread-safe: the hashing and the publishing run outside the
 * {@link TransferTable}'s lock, the checks and the start under it.
 */
final class FileSharer {
  private static final Logger log = DaemonLog.LOG;

  private final Path dataDir;
  private final DaemonExecutors executors;
  private final TrackerClient tracker;
  private final TransferTable table;
  private final TransferRecords records;
  private final TransferStarter starter;
  private final Announcer announcer;

  /** @param dataDir the data directory, its real path */
  FileSharer(Path dataDir, DaemonExecutors executors, TrackerClient tracker, TransferTable table,
      TransferRecords records, TransferStarter starter, Announcer announcer) {
    this.dataDir = dataDir;
    this.executors = executors;
    this.tracker = tracker;
    this.table = table;
    this.records = records;
    this.starter = starter;
    this.announcer = announcer;
  }

  /**
   * Hashes the file at {@code path} (inside the data directory) on every core, publishes its
   * manifest and seeds it. Sharing a file already shared returns its session; FAILED_PRECONDITION
   * if the same torrent is being downloaded (remove that transfer first). {@code progress} is
   * told how far the hashing got after each batch, and may stop it by throwing.
   */
  TorrentSession share(String path, int blockSize, ManifestBuilder.Progress progress)
      throws IOException {
    Path file = SafePaths.existingInside(dataDir, path);
    if (!Files.isRegularFile(file)) {
      throw MinibitException.invalid("%s is not a regular file", Validation.printable(path));
    }
    if (file.startsWith(dataDir.resolve(PeerConfig.STATE_DIR))) {
      throw MinibitException.invalid("%s is in the daemon's own state directory", path);
    }
    String name = Validation.requireTorrentName("file name", file.getFileName().toString());
    FileStamp before = FileStamp.of(file);
    Torrent torrent = ManifestBuilder.build(file, name, blockSize, executors.shareHashers(),
        executors.cores(), progress);
    if (!FileStamp.of(file).equals(before)) {
      throw new MinibitException(ErrorCode.FAILED_PRECONDITION, String.format(
          "%s changed while it was hashed; share it once it is written", file));
    }
    synchronized (table) {
      Optional<TorrentSession> existing = sharing(file, torrent);
      if (existing.isPresent()) {
        return existing.get();
      }
    }
    // Outside the lock: a slow or unreachable tracker holds up this share, not every control call.
    tracker.publish(torrent);
    synchronized (table) {
      Optional<TorrentSession> existing = sharing(file, torrent);
      if (existing.isPresent()) {
        return existing.get();
      }
      records.save(torrent, file.getParent());
      records.saveVerified(torrent, before);
      TorrentSession session = starter.newSession(torrent, BlockStore.openComplete(torrent, file));
      log.info(() -> "sharing " + torrent + " from " + file);
      announcer.add(session, session::heardFromTracker);
      return session;
    }
  }

  /**
   * The session that already shares {@code torrent} from {@code file}, if any; FAILED_PRECONDITION
   * if the torrent is being downloaded, or another transfer holds the path. The caller holds the
   * table's lock.
   */
  private Optional<TorrentSession> sharing(Path file, Torrent torrent) {
    table.requireFree(file, torrent.infoHash());
    TorrentSession existing = table.get(torrent.infoHash());
    if (existing != null && !existing.isSeeding()) {
      throw new MinibitException(ErrorCode.FAILED_PRECONDITION, String.format(
          "%s is being downloaded into %s; remove that transfer before sharing this copy",
          torrent.name(), existing.store().finalPath().getParent()));
    }
    return Optional.ofNullable(existing);
  }
}
