package io.minibit.tracker;

import io.minibit.api.v2.Manifest;
import io.minibit.core.AtomicFiles;
import io.minibit.core.InfoHash;
import io.minibit.core.Torrent;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The catalog's manifests on disk: one file per torrent, {@code
 * <directory>/<infohash-hex>.manifest} holding the Manifest message's bytes. A file is written to
 * a temporary name, synced and renamed into place, so a crash leaves either the whole manifest or
 * none of it; its modification time is when its manifest last became the latest of its name.
 *
 * <p>Not thread-safe: {@link Catalog}'s lock guards it.
 */
final class CatalogFiles {
  private static final Logger log = Logger.getLogger(CatalogFiles.class.getName());

  static final String SUFFIX = ".manifest";
  private static final String TEMP_PREFIX = ".publish-";
  private static final String TEMP_SUFFIX = ".tmp";
  // The largest valid manifest (65536 block hashes) is about 2.3 MB; anything bigger is not one.
  private static final long MAX_FILE_BYTES = 4L * 1024 * 1024;

  /** A manifest's file as listed, not read yet. */
  record Stored(Path file, String hex, FileTime modified, long size) {}

  private final Path directory;

  CatalogFiles(Path directory) {
    this.directory = directory;
  }

  Path directory() {
    return directory;
  }

  /** Stores {@code torrent}'s manifest durably. */
  void write(Torrent torrent) throws IOException {
    AtomicFiles.write(fileOf(torrent.infoHash()), torrent.manifest().toByteArray(), TEMP_PREFIX,
        TEMP_SUFFIX);
  }

  /**
   * Every manifest's file, the most recently published first (then by infohash, descending);
   * the temporary files of publishes that crashed before their rename are deleted on the way.
   */
  List<Stored> list() throws IOException {
    List<Stored> stored = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        if (name.startsWith(TEMP_PREFIX) && name.endsWith(TEMP_SUFFIX)) {
          // Left by a publish that crashed before its rename: it was never part of the catalog.
          Files.deleteIfExists(file);
        } else if (name.endsWith(SUFFIX)) {
          stored.add(new Stored(file, name.substring(0, name.length() - SUFFIX.length()),
              Files.getLastModifiedTime(file), Files.size(file)));
        }
      }
    }
    stored.sort(Comparator.comparing(Stored::modified).thenComparing(Stored::hex).reversed());
    return stored;
  }

  /** The torrent stored in {@code stored}, or null (logged) if the file is not a valid one. */
  static Torrent read(Stored stored) {
    Path file = stored.file();
    try {
      if (stored.size() > MAX_FILE_BYTES) {
        log.warning(() -> "skipping " + file + ": too large to be a manifest");
        return null;
      }
      Torrent torrent = Torrent.of(Manifest.parseFrom(Files.readAllBytes(file)));
      if (!torrent.infoHash().hex().equals(stored.hex())) {
        log.warning(() -> "skipping " + file + ": its manifest hashes to " + torrent.infoHash());
        return null;
      }
      return torrent;
    } catch (IOException | RuntimeException e) {
      // One bad file must not take the whole catalog (and the tracker) down with it.
      log.log(Level.WARNING, "skipping " + file + ": not a valid manifest", e);
      return null;
    }
  }

  /** Records on disk that {@code torrent} is now its name's latest; a failure is logged. */
  void markMostRecent(Torrent torrent) {
    try {
      Files.setLastModifiedTime(fileOf(torrent.infoHash()), FileTime.from(Instant.now()));
    } catch (IOException e) {
      log.log(Level.WARNING, "cannot record " + torrent + " as the latest of its name on disk;"
          + " after a restart its name may resolve to an older manifest", e);
    }
  }

  private Path fileOf(InfoHash infoHash) {
    return directory.resolve(infoHash.hex() + SUFFIX);
  }
}
