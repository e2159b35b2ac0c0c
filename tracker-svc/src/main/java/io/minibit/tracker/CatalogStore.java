package io.minibit.tracker;

import io.minibit.api.v2.Manifest;
import io.minibit.core.InfoHash;
import io.minibit.core.Torrent;
import java.util.List;
import java.util.Optional;

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
   * Validates {@code manifest} and stores it. INVALID_ARGUMENT (and nothing stored) if it is
   * malformed; INTERNAL or UNAVAILABLE if it cannot be stored.
   */
  Published publish(Manifest manifest);

  Optional<Torrent> get(InfoHash infoHash);

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
