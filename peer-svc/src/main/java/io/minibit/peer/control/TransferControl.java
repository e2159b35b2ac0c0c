package io.minibit.peer.control;

import io.minibit.core.InfoHash;
import io.minibit.core.ManifestBuilder;
import io.minibit.peer.session.TorrentSession;
import java.io.IOException;
import java.time.Duration;
import java.util.Collection;

/**
 * What the control API asks of a running peer: share a file, download a torrent, list and remove
 * transfers. Errors are {@link io.minibit.core.MinibitException}s with their code; an
 * {@link IOException} is a file-system failure. Implementations are thread-safe.
 */
public interface TransferControl {

  /**
   * Hashes the file at {@code path} (inside the data directory), publishes its manifest and
   * seeds it; sharing a file already shared returns its session. {@code progress} is told how far
   * the hashing got, and may stop it by throwing.
   */
  TorrentSession share(String path, int blockSize, ManifestBuilder.Progress progress)
      throws IOException;

  /** As above, without progress. */
  default TorrentSession share(String path, int blockSize) throws IOException {
    return share(path, blockSize, ManifestBuilder.Progress.NONE);
  }

  /** Starts the download {@code order} asks for, or returns the session already holding it. */
  TorrentSession download(DownloadOrder order) throws IOException;

  /** Stops a transfer and leaves its swarm; deletes its file too if asked. */
  void remove(InfoHash infoHash, boolean deleteData) throws IOException;

  /** Every transfer, by torrent name. */
  Collection<TorrentSession> sessions();

  /** Why {@code session}'s download is not progressing and for how long; zero when it is. */
  Duration stalledFor(TorrentSession session);

  /** Why {@code session}'s download is not at full speed; empty if it is, or is over. */
  String stallReason(TorrentSession session);

  /** The daemon's limits and how much of them is in use. */
  Usage usage();

  /** The tracker this peer's calls go to now (of the ones it was given, in order). */
  String trackerInUse();

  /** How long a download may find no peer before its caller is told, if it does not say. */
  Duration noPeersTimeout();
}
