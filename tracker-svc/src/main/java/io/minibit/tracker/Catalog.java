package io.minibit.tracker;

import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import io.minibit.core.Validation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * The published manifests, by infohash and by name, kept on disk as one file per torrent
 * ({@link CatalogFiles}).
 *
 * <p>A name maps to the manifest most recently published under it; publishing an older manifest
 * again makes it the most recent. Across restarts that order is the files' modification times.
 * A file is written to a temporary name, synced and renamed into place, so a crash leaves either
 * the whole manifest or none of it.
 *
 * <p>A name belongs to its first publisher ({@link NameOwners}, kept in {@code
 * <directory>/owners/}): only the owner publishes another manifest under it, or makes an older one
 * the most recent again; anyone may publish a manifest the catalog already holds, which changes
 * nothing. Names published before owners were recorded belong to the next publisher.
 *
 * <p>Thread-safe: publishing is serialized (including its disk write) and lookups share the same
 * lock.
 */
public final class Catalog implements CatalogStore {
  private static final Logger log = Logger.getLogger(Catalog.class.getName());

  static final String OWNERS_DIR = "owners";

  private final Object lock = new Object();
  private final CatalogFiles files;
  private final NameOwners owners;
  /**
   * Written under {@link #lock}, read without it: an announce looks its torrent up here, and
   * never waits for a publish writing a manifest to disk.
   */
  private final Map<InfoHash, Torrent> byInfoHash = new ConcurrentHashMap<>();
  private final Map<String, Torrent> latestByName = new HashMap<>();
  /** Every torrent again, in the catalog's order, for pages of it. */
  private final NavigableMap<CatalogPosition, Torrent> ordered = new TreeMap<>();

  private final long maxBytes;
  /** Bytes of every manifest held, as stored. */
  private long bytes;

  private final TrackerLimits limits;
  /** Manifests and their bytes by the publisher that owns their names. */
  private final Map<Publisher, long[]> held = new HashMap<>();

  private Catalog(Path directory, NameOwners owners, TrackerLimits limits) {
    this.files = new CatalogFiles(directory);
    this.owners = owners;
    this.limits = limits;
    this.maxBytes = limits.maxCatalogBytes();
  }

  /**
   * Opens the catalog kept in {@code directory}, creating the directory if needed. A file that
   * cannot be read, is not a valid manifest, or does not hash to its file name is logged and
   * skipped; it never stops the tracker from starting.
   */
  public static Catalog open(Path directory) throws IOException {
    return open(directory, TrackerLimits.DEFAULT_MAX_CATALOG_BYTES);
  }

  /**
   * As above, holding at most {@code maxBytes} of manifests: a directory that holds more (the
   * limit was lowered) loads the most recently published up to it, and logs what it leaves out.
   */
  public static Catalog open(Path directory, long maxBytes) throws IOException {
    return open(directory, TrackerLimits.ofCatalog(maxBytes));
  }

  /** As above, within every limit of {@code limits} on the catalog and its publishers. */
  public static Catalog open(Path directory, TrackerLimits limits) throws IOException {
    Files.createDirectories(directory);
    Catalog catalog = new Catalog(directory, NameOwners.open(directory.resolve(OWNERS_DIR)),
        limits);
    catalog.load();
    return catalog;
  }

  /**
   * Stores {@code torrent}'s manifest for {@code publisher}, who becomes the owner of its name if
   * the name has none. A manifest the catalog holds already, sent by someone other than its
   * name's owner (another seeder of the same file), changes nothing: it stays where it was in
   * its name's order. PERMISSION_DENIED (and nothing changed) for a new manifest under a name
   * that belongs to another publisher; INTERNAL if it cannot be written to disk.
   */
  @Override
  public Published publish(Torrent torrent, Publisher publisher) {
    synchronized (lock) {
      Optional<Publisher> owner = owners.owner(torrent.name());
      Torrent existing = byInfoHash.get(torrent.infoHash());
      if (owner.isPresent() && !owner.get().equals(publisher)) {
        if (existing != null) {
          // Another seeder of a version its owner published: nothing to store, nothing moves.
          return new Published(existing, false);
        }
        throw ownedByAnother(torrent, owner.get(), publisher);
      }
      long size = torrent.manifest().getSerializedSize();
      if (existing == null && bytes + size > maxBytes) {
        throw catalogFull(torrent, size, bytes, maxBytes);
      }
      long[] publisherHolds = held.getOrDefault(publisher, new long[2]);
      if (existing == null && !limits.publisherFits(publisherHolds[0], publisherHolds[1], size)) {
        throw TrackerLimits.publisherFull(publisher, publisherHolds[0], publisherHolds[1], size,
            limits);
      }
      if (owner.isEmpty()) {
        try {
          owners.claim(torrent.name(), publisher);
        } catch (IOException e) {
          throw new MinibitException(ErrorCode.INTERNAL, "could not record the owner of "
              + torrent + ": " + e.getMessage(), e);
        }
        log.info(() -> "the name '" + torrent.name() + "' now belongs to " + publisher);
      }
      if (existing != null) {
        if (latestByName.get(existing.name()) != existing) {
          latestByName.put(existing.name(), existing);
          files.markMostRecent(existing);
        }
        return new Published(existing, false);
      }
      try {
        files.write(torrent);
      } catch (IOException e) {
        throw new MinibitException(ErrorCode.INTERNAL,
            "could not store manifest " + torrent + ": " + e.getMessage(), e);
      }
      byInfoHash.put(torrent.infoHash(), torrent);
      latestByName.put(torrent.name(), torrent);
      ordered.put(CatalogPosition.of(torrent), torrent);
      bytes += size;
      hold(publisher, size);
      log.info(() -> "published " + torrent);
      return new Published(torrent, true);
    }
  }

  @Override
  public Optional<Torrent> get(InfoHash infoHash) {
    return Optional.ofNullable(byInfoHash.get(infoHash));
  }

  /** Who owns {@code name}: its first publisher; empty if nobody published it yet. */
  @Override
  public Optional<Publisher> owner(String name) {
    synchronized (lock) {
      return owners.owner(name);
    }
  }

  /** Whether {@code torrent} is the one {@link #byName} returns for its name. */
  @Override
  public boolean isLatest(Torrent torrent) {
    synchronized (lock) {
      return latestByName.get(torrent.name()) == torrent;
    }
  }

  /** The manifest most recently published under {@code name}, if any. */
  @Override
  public Optional<Torrent> byName(String name) {
    synchronized (lock) {
      return Optional.ofNullable(latestByName.get(name));
    }
  }

  /** Every torrent, ordered by name, then by infohash. */
  public List<Torrent> list() {
    synchronized (lock) {
      return new ArrayList<>(ordered.values());
    }
  }

  /**
   * Up to {@code limit} torrents in the order of {@link #list()}, starting just after {@code
   * after} (which need not be in the catalog), or from the first when it is empty.
   */
  @Override
  public List<Torrent> page(Optional<CatalogPosition> after, int limit) {
    synchronized (lock) {
      Collection<Torrent> from = after.isPresent()
          ? ordered.tailMap(after.get(), false).values()
          : ordered.values();
      return from.stream().limit(limit).toList();
    }
  }

  @Override
  public int size() {
    synchronized (lock) {
      return byInfoHash.size();
    }
  }

  private void load() throws IOException {
    // The most recent first, so that over the limit (it was lowered) the newest fit and the
    // oldest stay on disk unread: the heap never holds more than the limit.
    List<CatalogFiles.Stored> stored = files.list();
    List<Torrent> loaded = new ArrayList<>();
    long total = 0;
    int left = 0;
    for (CatalogFiles.Stored file : stored) {
      if (total + file.size() > maxBytes) {
        left++;
        continue;
      }
      Torrent torrent = CatalogFiles.read(file);
      if (torrent != null) {
        loaded.add(torrent);
        total += file.size();
      }
    }
    if (left > 0) {
      int notServed = left;
      log.warning(() -> "catalog " + files.directory() + " holds more than --max-catalog-bytes "
          + maxBytes + ": its " + notServed + " oldest manifests are not served");
    }
    bytes = total;
    // oldest first, so that the latest of each name wins
    for (int i = loaded.size() - 1; i >= 0; i--) {
      Torrent torrent = loaded.get(i);
      owners.owner(torrent.name()).ifPresent(
          owner -> hold(owner, torrent.manifest().getSerializedSize()));
      byInfoHash.put(torrent.infoHash(), torrent);
      latestByName.put(torrent.name(), torrent);
      ordered.put(CatalogPosition.of(torrent), torrent);
    }
    log.info(() -> "catalog " + files.directory() + " holds " + byInfoHash.size() + " torrents");
  }

  private void hold(Publisher publisher, long size) {
    long[] holds = held.computeIfAbsent(publisher, p -> new long[2]);
    holds[0]++;
    holds[1] += size;
  }

  static MinibitException ownedByAnother(Torrent torrent, Publisher owner, Publisher publisher) {
    return new MinibitException(ErrorCode.PERMISSION_DENIED, String.format(
        "the name '%s' belongs to another publisher (%s), and only it publishes versions of"
            + " it; you are %s: publish under another name",
        Validation.printable(torrent.name()), owner, publisher));
  }

  static MinibitException catalogFull(Torrent torrent, long size, long held, long limit) {
    return new MinibitException(ErrorCode.RESOURCE_EXHAUSTED, String.format(
        "the catalog is full: %s needs %d bytes, and %d of the %d bytes this tracker holds for"
            + " manifests are taken (--max-catalog-bytes)", torrent, size, held, limit));
  }
}
