package io.minibit.peer.session;

import io.minibit.api.v2.Manifest;
import io.minibit.core.AtomicFiles;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Remembers across restarts which torrents the daemon holds and in which directory: for each, its
 * manifest ({@code <infohash>.manifest}), directory ({@code <infohash>.location}) and, once its
 * file is whole and verified, that file's size and modification time then ({@code
 * <infohash>.verified}); for a file this daemon downloaded, when it was last used ({@code
 * <infohash>.used}, milliseconds since the epoch), which the cache's eviction goes by. All under
 * the state directory. Thread-safe (each record is written atomically).
 */
public final class TransferRecords {
  private static final Logger log = Logger.getLogger(TransferRecords.class.getName());
  private static final String MANIFEST = ".manifest";
  private static final String LOCATION = ".location";
  private static final String VERIFIED = ".verified";
  private static final String USED = ".used";

  /**
   * A torrent, the directory its file lives in, and what that file looked like when it was last
   * verified whole (empty if it never was, or the record is from an older version), and, for a
   * file this daemon downloaded, when it was last used (empty for a file a user shared).
   */
  public record Record(Torrent torrent, Path directory, Optional<FileStamp> verified,
      Optional<Instant> lastUse) {}

  /**
   * What a file looked like at one moment: its size and modification time. A file whose stamp is
   * unchanged is taken to hold the bytes it held then.
   */
  public record FileStamp(long size, long modifiedNanos) {
    /** The stamp of {@code file} now (not following a symbolic link). */
    public static FileStamp of(Path file) throws IOException {
      BasicFileAttributes attributes =
          Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return new FileStamp(attributes.size(),
          attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS));
    }

    String format() {
      return "size " + size + "\nmodified_ns " + modifiedNanos + "\n";
    }

    static FileStamp parse(String text) {
      Map<String, Long> fields = new HashMap<>();
      for (String line : text.split("\n")) {
        String[] parts = line.trim().split(" ");
        if (parts.length == 2) {
          fields.put(parts[0], Long.parseLong(parts[1]));
        }
      }
      if (!fields.containsKey("size") || !fields.containsKey("modified_ns")) {
        throw new NumberFormatException("no size or modified_ns in " + text);
      }
      return new FileStamp(fields.get("size"), fields.get("modified_ns"));
    }
  }

  private final Path stateDir;

  public TransferRecords(Path stateDir) throws IOException {
    this.stateDir = Files.createDirectories(stateDir);
  }

  public void save(Torrent torrent, Path directory) throws IOException {
    String hex = torrent.infoHash().hex();
    AtomicFiles.write(stateDir.resolve(hex + LOCATION),
        directory.toString().getBytes(StandardCharsets.UTF_8));
    AtomicFiles.write(stateDir.resolve(hex + MANIFEST), torrent.manifest().toByteArray());
  }

  /**
   * Notes that the file of {@code torrent} was verified whole and looked like {@code stamp} then.
   */
  public void saveVerified(Torrent torrent, FileStamp stamp) throws IOException {
    AtomicFiles.write(stateDir.resolve(torrent.infoHash().hex() + VERIFIED),
        stamp.format().getBytes(StandardCharsets.UTF_8));
  }

  /** Notes that {@code infoHash}'s file is one this daemon downloads, last used at {@code when}. */
  public void saveLastUse(InfoHash infoHash, Instant when) throws IOException {
    AtomicFiles.write(stateDir.resolve(infoHash.hex() + USED),
        Long.toString(when.toEpochMilli()).getBytes(StandardCharsets.UTF_8));
  }

  public void delete(InfoHash infoHash) throws IOException {
    Files.deleteIfExists(stateDir.resolve(infoHash.hex() + MANIFEST));
    Files.deleteIfExists(stateDir.resolve(infoHash.hex() + LOCATION));
    Files.deleteIfExists(stateDir.resolve(infoHash.hex() + VERIFIED));
    Files.deleteIfExists(stateDir.resolve(infoHash.hex() + USED));
  }

  /** Every readable record; unreadable ones are logged and skipped. */
  public List<Record> loadAll() throws IOException {
    List<Record> records = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(stateDir, "*" + MANIFEST)) {
      for (Path manifestFile : files) {
        String hex = manifestFile.getFileName().toString().replace(MANIFEST, "");
        try {
          InfoHash infoHash = InfoHash.parse(hex);
          Torrent torrent =
              Torrent.of(Manifest.parseFrom(Files.readAllBytes(manifestFile)), infoHash);
          Path directory = Path.of(Files.readString(stateDir.resolve(hex + LOCATION)));
          records.add(new Record(torrent, directory, verified(hex), lastUse(hex)));
        } catch (MinibitException | IOException e) {
          log.warning(() -> "skipping unreadable transfer record " + manifestFile + ": "
              + e.getMessage());
        }
      }
    }
    return records;
  }

  private Optional<Instant> lastUse(String hex) {
    Path file = stateDir.resolve(hex + USED);
    try {
      return Optional.of(Instant.ofEpochMilli(Long.parseLong(Files.readString(file).trim())));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | NumberFormatException e) {
      // Still a download: an unreadable time counts as used now, so nothing goes for want of it.
      log.warning(() -> "ignoring unreadable " + file + ": " + e.getMessage());
      return Optional.of(Instant.now());
    }
  }

  /** What the file of {@code infoHash} looked like when last verified whole, if it ever was. */
  public Optional<FileStamp> verified(InfoHash infoHash) {
    return verified(infoHash.hex());
  }

  private Optional<FileStamp> verified(String hex) {
    Path file = stateDir.resolve(hex + VERIFIED);
    try {
      return Optional.of(FileStamp.parse(Files.readString(file)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | NumberFormatException e) {
      log.warning(() -> "ignoring unreadable " + file + ": " + e.getMessage());
      return Optional.empty();
    }
  }
}
