package io.minibit.peer;

import io.grpc.Status;
import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.core.SafePaths;
import io.minibit.core.Torrent;
import io.minibit.core.Validation;
import io.minibit.core.store.BlockStore;
import io.minibit.peer.control.DownloadOrder;
import io.minibit.peer.session.TorrentSession;
import io.minibit.peer.session.TransferRecords;
import io.minibit.peer.session.TransferRecords.FileStamp;
import io.minibit.peer.swarm.Announcer;
import io.minibit.peer.swarm.TrackerClient;
import io.minibit.peer.telemetry.DownloadTrace;
import io.opentelemetry.api.trace.Tracer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.logging.Logger;

/**
 * The download use case: finds the manifest a {@link DownloadOrder} names, checks where its
 * file may go, makes room in the cache and starts the transfer; or answers with the transfer
 * that already holds the torrent, and starts a failed one again. Thread-safe: the manifest is
 * fetched outside the {@link TransferTable}'s lock, the checks and the start run under it.
 */
final class Downloader {
  private static final Logger log = DaemonLog.LOG;

  private final Path dataDir;
  private final Clock clock;
  private final Tracer tracer;
  private final TrackerClient tracker;
  private final TransferTable table;
  private final TransferRecords records;
  private final DownloadCache cache;
  private final CacheKeeper cacheKeeper;
  private final TransferStarter starter;
  private final Announcer announcer;

  /** @param dataDir the data directory, its real path */
  Downloader(Path dataDir, Clock clock, Tracer tracer, TrackerClient tracker, TransferTable table,
      TransferRecords records, DownloadCache cache, CacheKeeper cacheKeeper,
      TransferStarter starter, Announcer announcer) {
    this.dataDir = dataDir;
    this.clock = clock;
    this.tracer = tracer;
    this.tracker = tracker;
    this.table = table;
    this.records = records;
    this.cache = cache;
    this.cacheKeeper = cacheKeeper;
    this.starter = starter;
    this.announcer = announcer;
  }

  /**
   * Starts downloading the torrent {@code order} names into its destination, or returns the
   * session already holding it.
   */
  TorrentSession download(DownloadOrder order) throws IOException {
    String what = switch (order.by()) {
      case INFOHASH -> InfoHash.parse(order.torrent()).hex();
      case NAME -> Validation.requireFileName("name", order.torrent());
    };
    if (order.by() == DownloadOrder.By.INFOHASH) {
      TorrentSession existing = table.get(InfoHash.parse(what));
      if (existing != null && !failedMidway(existing) && !fileLost(existing)) {
        cache.used(existing.torrent().infoHash());
        return heldWhereAsked(existing, order.destination());
      }
    }
    DownloadTrace trace = DownloadTrace.start(tracer, what);
    try {
      return trace.within(() -> {
        Torrent torrent = order.by() == DownloadOrder.By.NAME
            ? tracker.manifest(what) : manifest(InfoHash.parse(what));
        trace.torrent(torrent);
        synchronized (table) {
          TorrentSession existing = table.get(torrent.infoHash());
          if (existing != null && failedMidway(existing)) {
            return retry(existing, trace);
          }
          if (existing != null && fileLost(existing)) {
            if (!fileGone(existing) || heldIn(existing, order.destination())) {
              heldWhereAsked(existing, order.destination());
              return fetchAgain(existing, trace);
            }
            // gone, and asked for elsewhere: fetched there, as if this peer had never held it
            forget(existing, order.destination());
            existing = null;
          }
          if (existing != null) {
            trace.endAttached();
            cache.used(torrent.infoHash());
            return heldWhereAsked(existing, order.destination());
          }
          Path directory = downloadDirectory(order.destination());
          Path target = SafePaths.fileIn(directory, torrent.name());
          table.requireFree(target, torrent.infoHash());
          if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new MinibitException(ErrorCode.FAILED_PRECONDITION, String.format(
                "%s already exists; remove it or download somewhere else", target));
          }
          cacheKeeper.makeRoom(torrent);
          records.save(torrent, directory);
          Instant now = clock.instant();
          records.saveLastUse(torrent.infoHash(), now);
          cache.add(torrent.infoHash(), now);
          return starter.startDownload(torrent, BlockStore.openUnchecked(torrent, directory),
              trace);
        }
      });
    } catch (IOException | RuntimeException e) {
      trace.end(e);
      throw e;
    }
  }

  /**
   * {@code session}, which already holds the torrent a download asks for, if it holds it where
   * {@code destination} says (or none is given); FAILED_PRECONDITION if it is elsewhere: a
   * torrent lives in one place on a peer, and a `get -o` that said nothing of it would leave the
   * caller looking for the file where it is not.
   */
  private TorrentSession heldWhereAsked(TorrentSession session, String destination) {
    if (heldIn(session, destination)) {
      return session;
    }
    throw new MinibitException(ErrorCode.FAILED_PRECONDITION, String.format(
        "this peer already holds %s in %s (%s); a torrent is kept in one place: use that copy, "
            + "or remove the transfer first to fetch it into %s", session.torrent().name(),
        session.store().finalPath().getParent(),
        session.isSeeding() ? "seeding" : "downloading", Validation.printable(destination)));
  }

  /**
   * Whether {@code session} holds its torrent where {@code destination} says (or none is
   * given). INVALID_ARGUMENT for a destination that is no path.
   */
  private boolean heldIn(TorrentSession session, String destination) {
    if (destination.isEmpty()) {
      return true;
    }
    Path held = session.store().finalPath().getParent();
    Path asked;
    try {
      asked = dataDir.resolve(destination).normalize();
    } catch (InvalidPathException e) {
      throw MinibitException.invalid("%s is not a valid path", Validation.printable(destination));
    }
    return realOrSelf(asked).equals(realOrSelf(held));
  }

  /** {@code path} with its symbolic links resolved if it exists; as it is otherwise. */
  private static Path realOrSelf(Path path) {
    try {
      return path.toRealPath();
    } catch (IOException e) {
      return path.toAbsolutePath().normalize();
    }
  }

  /**
   * Starts a failed download again (a full disk since freed, say) from the blocks it verified;
   * the caller holds the table's lock.
   */
  private TorrentSession retry(TorrentSession failed, DownloadTrace trace) throws IOException {
    Torrent torrent = failed.torrent();
    Path directory = failed.store().finalPath().getParent();
    leave(failed, "download restarted");
    log.info(() -> "retrying the failed download of " + torrent);
    return starter.startDownload(torrent, BlockStore.openUnchecked(torrent, directory), trace);
  }

  /**
   * Takes {@code session} out of the table and the swarm, ends its Subscribe streams
   * (UNAVAILABLE, saying {@code why}) and closes its store, for a session that another takes
   * over; the caller holds the table's lock.
   */
  private void leave(TorrentSession session, String why) throws IOException {
    InfoHash infoHash = session.torrent().infoHash();
    table.remove(infoHash);
    announcer.remove(infoHash);
    session.subscribers().closeAll(Status.UNAVAILABLE.withDescription(why));
    session.store().close();
  }

  /**
   * Whether the file {@code session} seeds is no longer the one it verified: gone, or of another
   * size or modification time (someone deleted, truncated or rewrote it while the daemon ran).
   * A download asking for it would otherwise be told the file is there.
   */
  private boolean fileLost(TorrentSession session) {
    if (!session.store().isFinished()) {
      return false;
    }
    Path file = session.store().finalPath();
    try {
      FileStamp now = FileStamp.of(file);
      return !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
          || now.size() != session.torrent().size()
          || records.verified(session.torrent().infoHash()).map(then -> !then.equals(now))
              .orElse(false);
    } catch (IOException gone) {
      return true;
    }
  }

  /** Whether the file of a session {@link #fileLost} lost is gone altogether. */
  private static boolean fileGone(TorrentSession session) {
    return !Files.exists(session.store().finalPath(), LinkOption.NOFOLLOW_LINKS);
  }

  /**
   * Drops a seeding session whose file is gone, for a download of the same torrent into {@code
   * destination}; the caller holds the table's lock. The session leaves the swarm and its
   * records go: the download that follows writes its own.
   */
  private void forget(TorrentSession lost, String destination) throws IOException {
    Torrent torrent = lost.torrent();
    leave(lost, "its file is gone");
    records.delete(torrent.infoHash());
    cache.forget(torrent.infoHash());
    log.warning(() -> String.format("%s is gone since it was verified: fetching it into %s",
        lost.store().finalPath(), Validation.printable(destination)));
  }

  /**
   * Fetches again the file of a seeding session that {@link #fileLost} lost; the caller holds
   * the table's lock. The session leaves the swarm; a file still there has every block checked
   * again and keeps those that match, as after a restart; a file gone is fetched whole.
   */
  private TorrentSession fetchAgain(TorrentSession lost, DownloadTrace trace) throws IOException {
    Torrent torrent = lost.torrent();
    Path file = lost.store().finalPath();
    leave(lost, "its file is fetched again");
    boolean changed = Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS);
    log.warning(() -> String.format("%s %s since it was verified: %s", file,
        changed ? "changed" : "is gone", changed
            ? "checking every block again, and fetching the ones that fail" : "fetching it again"));
    cache.used(torrent.infoHash());
    Path directory = file.getParent();
    return starter.startDownload(torrent, changed ? BlockStore.reverify(torrent, directory)
        : BlockStore.openUnchecked(torrent, directory), trace);
  }

  /**
   * The manifest of a torrent this peer has a session for (even a failed one), or the
   * tracker's.
   */
  private Torrent manifest(InfoHash infoHash) {
    TorrentSession known = table.get(infoHash);
    return known != null ? known.torrent() : tracker.manifest(infoHash);
  }

  /**
   * A download that failed before its file got its name (a full disk, or the name taken by
   * another file): worth a retry.
   */
  private static boolean failedMidway(TorrentSession session) {
    return session.completion().isCompletedExceptionally() && !session.store().isFinished();
  }

  /**
   * The directory {@code destination} names inside the data directory, created if needed;
   * INVALID_ARGUMENT if it lies outside, or in the daemon's state directory.
   */
  private Path downloadDirectory(String destination) throws IOException {
    String shown = Validation.printable(destination);
    Path stateDir = dataDir.resolve(PeerConfig.STATE_DIR);
    try {
      if (dataDir.resolve(destination).normalize().startsWith(stateDir)) {
        throw MinibitException.invalid("%s is in the daemon's own state directory", shown);
      }
    } catch (InvalidPathException e) {
      throw MinibitException.invalid("%s is not a valid path", shown);
    }
    Path directory = SafePaths.directoryInside(dataDir, destination);
    if (directory.startsWith(stateDir)) { // reached through a symbolic link
      throw MinibitException.invalid("%s is in the daemon's own state directory", shown);
    }
    return directory;
  }
}
