package io.minibit.tracker;

import io.minibit.core.InfoHash;
import io.minibit.core.Torrent;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The published manifests, by infohash and by name: what {@code GetManifest}, {@code Publish}
 * and {@code ListTorrents} read and write. Two implementations: {@link Catalog}, files in the
 * tracker's data directory, and {@link RedisCatalog}, shared by every tracker on one Redis.
 *
 * <p>A name resolves to the manifest most recently published under it; publishing an older
 * manifest again makes it the most recent. Implementations are thread-safe.
 */
public interface CatalogStore {
  /** The outcome of a publish: the torrent, and false if the catalog already held it. */
  record Published(Torrent torrent, boolean created) {}

  /**
   * Stores {@code torrent}'s manifest (validated when the torrent was made) for {@code
   * publisher}, who becomes the owner of its name if the name has none; only the owner publishes
   * new versions of a name, or makes an older one the latest again. A manifest the catalog holds
   * already, sent by someone else (another seeder of the same file), changes nothing.
   * PERMISSION_DENIED for a new manifest under a name another publisher owns; RESOURCE_EXHAUSTED
   * past the catalog's bytes; INTERNAL or UNAVAILABLE if it cannot be stored.
   */
  Published publish(Torrent torrent, Publisher publisher);

  /** Who owns {@code name}: its first publisher; empty if nobody published it yet. */
  Optional<Publisher> owner(String name);

  /** Whether {@code torrent} is the one {@link #byName} returns for its name. */
  boolean isLatest(Torrent torrent);

  /** Those of {@code torrents} that are their names' latest, in one go where the store can. */
  default Set<InfoHash> latestOf(List<Torrent> torrents) {
    Set<InfoHash> latest = new HashSet<>();
    for (Torrent torrent : torrents) {
      if (isLatest(torrent)) {
        latest.add(torrent.infoHash());
      }
    }
    return latest;
  }

  Optional<Torrent> get(InfoHash infoHash);

  /**
   * {@link #get} for a caller that must not wait on it (a network thread): the result may come
   * on another thread.
   */
  default CompletableFuture<Optional<Torrent>> getAsync(InfoHash infoHash) {
    try {
      return CompletableFuture.completedFuture(get(infoHash));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The manifest most recently published under {@code name}, if any. */
  Optional<Torrent> byName(String name);

  /**
   * Up to {@code limit} torrents in the catalog's order (by name, then by infohash), starting
   * just after {@code after} (which need not be in the catalog), or from the first when it is
   * empty.
   */
  List<Torrent> page(Optional<CatalogPosition> after, int limit);

  /** Torrents in the catalog. */
  int size();
}
