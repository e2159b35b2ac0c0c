package io.minibit.peer;

import io.minibit.core.InfoHash;
import io.minibit.peer.policy.Eviction;
import io.minibit.peer.session.TorrentSession;
import io.minibit.peer.session.TransferRecords;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The files this daemon downloaded, seen as a cache: when each was last used (a block of it
 * served, a download of it asked for), how many bytes they take together, and which of them
 * {@link Eviction} says to remove under {@code --cache-max-bytes} and {@code --seed-ttl}. Files
 * a user shared are never in it: they are the user's, not the cache's.
 *
 * <p>When each file was last used is kept in its transfer record too, at most once a minute, so a
 * restart neither forgets an old file nor makes it look new. Thread-safe.
 */
final class DownloadCache {
  private static final Logger log = Logger.getLogger(DownloadCache.class.getName());
  /** A last use is written to the record when it moved by this much since the last write. */
  static final Duration SAVE_EVERY = Duration.ofMinutes(1);

  private final PeerConfig.Limits limits;
  private final TransferRecords records;
  private final Clock clock;
  /** Downloaded torrents and their last use as known here; the sessions add their uploads. */
  private final Map<InfoHash, Instant> lastUsed = new ConcurrentHashMap<>();
  private final Map<InfoHash, Instant> saved = new ConcurrentHashMap<>();
  private final AtomicLong evictions = new AtomicLong();

  DownloadCache(PeerConfig.Limits limits, TransferRecords records, Clock clock) {
    this.limits = limits;
    this.records = records;
    this.clock = clock;
  }

  /** {@code infoHash} is a download, last used at {@code when} (now, or its record's time). */
  void add(InfoHash infoHash, Instant when) {
    lastUsed.put(infoHash, when);
    saved.put(infoHash, when);
  }

  /** A download of {@code infoHash} was asked for: it is in use again. */
  void used(InfoHash infoHash) {
    lastUsed.computeIfPresent(infoHash, (key, before) -> clock.instant());
  }

  void forget(InfoHash infoHash) {
    lastUsed.remove(infoHash);
    saved.remove(infoHash);
  }

  boolean holds(InfoHash infoHash) {
    return lastUsed.containsKey(infoHash);
  }

  long evictions() {
    return evictions.get();
  }

  void evicted() {
    evictions.incrementAndGet();
  }

  /** Bytes the downloaded files among {@code sessions} take, or will once complete. */
  long bytes(Collection<TorrentSession> sessions) {
    long total = 0;
    for (TorrentSession session : sessions) {
      if (holds(session.torrent().infoHash())) {
        total += session.torrent().size();
      }
    }
    return total;
  }

  /**
   * The downloaded files among {@code sessions} to remove now, least recently used first, to
   * make room for {@code incoming} more bytes (0 for none) and to drop the idle ones.
   */
  List<TorrentSession> toEvict(Collection<TorrentSession> sessions, long incoming) {
    if (!limits.evicts()) {
      return List.of();
    }
    List<Eviction.Entry<TorrentSession>> held = new ArrayList<>();
    for (TorrentSession session : sessions) {
      Instant used = lastUse(session);
      if (used != null) {
        held.add(new Eviction.Entry<>(session, session.torrent().size(), used,
            session.isSeeding()));
      }
    }
    return Eviction.choose(held, limits.cacheMaxBytes(), limits.seedTtl(), clock.instant(),
        incoming).stream().map(Eviction.Entry::id).toList();
  }

  /** Writes to the records the last uses that moved by {@link #SAVE_EVERY} since written. */
  void save(Collection<TorrentSession> sessions) {
    for (TorrentSession session : sessions) {
      InfoHash infoHash = session.torrent().infoHash();
      Instant used = lastUse(session);
      Instant before = saved.get(infoHash);
      if (used == null || before == null
          || Duration.between(before, used).compareTo(SAVE_EVERY) < 0) {
        continue;
      }
      try {
        records.saveLastUse(infoHash, used);
        saved.put(infoHash, used);
      } catch (IOException e) {
        log.warning(() -> "cannot note when " + session + " was last used: " + e.getMessage());
      }
    }
  }

  /** When the downloaded file of {@code session} was last used; null if it is not a download. */
  private Instant lastUse(TorrentSession session) {
    Instant known = lastUsed.get(session.torrent().infoHash());
    if (known == null) {
      return null;
    }
    Instant served = session.lastUploadAt();
    return served != null && served.isAfter(known) ? served : known;
  }
}
