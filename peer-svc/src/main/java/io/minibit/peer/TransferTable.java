package io.minibit.peer;

import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.peer.download.Download;
import io.minibit.peer.session.TorrentSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The daemon's transfers: the session of each torrent it holds and the download of each it is
 * fetching. Reads need no lock; a change that must see the table as it checked it (start,
 * share, retry, remove) holds this table's monitor, the daemon's lock.
 */
final class TransferTable {
  private final Map<InfoHash, TorrentSession> sessions = new ConcurrentHashMap<>();
  private final Map<InfoHash, Download> downloads = new ConcurrentHashMap<>();

  /** The session of {@code infoHash}; NOT_FOUND if this peer does not hold it. */
  TorrentSession session(InfoHash infoHash) {
    TorrentSession session = sessions.get(infoHash);
    if (session == null) {
      throw MinibitException.notFound("this peer does not have torrent %s", infoHash);
    }
    return session;
  }

  /** The session of {@code infoHash}, or null. */
  TorrentSession get(InfoHash infoHash) {
    return sessions.get(infoHash);
  }

  /** Every session, by torrent name. */
  List<TorrentSession> sorted() {
    List<TorrentSession> list = new ArrayList<>(sessions.values());
    list.sort((a, b) -> a.torrent().name().compareTo(b.torrent().name()));
    return list;
  }

  /** Every session, in no order; a live view. */
  Collection<TorrentSession> sessions() {
    return sessions.values();
  }

  void put(TorrentSession session) {
    sessions.put(session.torrent().infoHash(), session);
  }

  TorrentSession remove(InfoHash infoHash) {
    return sessions.remove(infoHash);
  }

  /** The running download of {@code session}, if it is still downloading. */
  Optional<Download> download(TorrentSession session) {
    return Optional.ofNullable(downloads.get(session.torrent().infoHash()));
  }

  /** The running download of {@code infoHash}, or null. */
  Download download(InfoHash infoHash) {
    return downloads.get(infoHash);
  }

  void putDownload(InfoHash infoHash, Download download) {
    downloads.put(infoHash, download);
  }

  Download removeDownload(InfoHash infoHash) {
    return downloads.remove(infoHash);
  }

  /** Every running download; a live view. */
  Collection<Download> downloads() {
    return downloads.values();
  }

  /**
   * FAILED_PRECONDITION if another torrent's transfer (seeding or downloading) holds {@code file}:
   * two transfers never write, or serve, one path. The caller holds the table's lock.
   */
  void requireFree(Path file, InfoHash infoHash) {
    for (TorrentSession other : sessions.values()) {
      if (!other.torrent().infoHash().equals(infoHash) && other.store().finalPath().equals(file)) {
        throw new MinibitException(ErrorCode.FAILED_PRECONDITION, String.format(
            "%s is taken by the transfer of torrent %s (%s); remove that transfer or download "
                + "somewhere else", file, other.torrent().infoHash().hex(),
            other.isSeeding() ? "seeding" : "downloading"));
      }
    }
  }
}
