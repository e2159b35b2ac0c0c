package io.minibit.peer.session;

import io.minibit.api.v1.Manifest;
import io.minibit.core.AtomicFiles;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * Remembers across restarts which torrents the daemon holds and in which directory: for each, its
 * manifest ({@code <infohash>.manifest}) and directory ({@code <infohash>.location}) under the
 * state directory. Thread-safe (each record is written atomically).
 */
public final class TransferRecords {
  private static final Logger log = Logger.getLogger(TransferRecords.class.getName());
  private static final String MANIFEST = ".manifest";
  private static final String LOCATION = ".location";

  /** A torrent and the directory its file lives in. */
  public record Record(Torrent torrent, Path directory) {}

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

  public void delete(InfoHash infoHash) throws IOException {
    Files.deleteIfExists(stateDir.resolve(infoHash.hex() + MANIFEST));
    Files.deleteIfExists(stateDir.resolve(infoHash.hex() + LOCATION));
  }

  /** Every readable record; unreadable ones are logged and skipped. */
  public List<Record> loadAll() throws IOException {
    List<Record> records = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(stateDir, "*" + MANIFEST)) {
      for (Path manifestFile : files) {
        String hex = manifestFile.getFileName().toString().replace(MANIFEST, "");
        try {
          InfoHash infoHash = InfoHash.parse(hex);
          Torrent torrent = Torrent.of(Manifest.parseFrom(Files.readAllBytes(manifestFile)), infoHash);
          Path directory = Path.of(Files.readString(stateDir.resolve(hex + LOCATION)));
          records.add(new Record(torrent, directory));
        } catch (MinibitException | IOException e) {
          log.warning(() -> "skipping unreadable transfer record " + manifestFile + ": " + e.getMessage());
        }
      }
    }
    return records;
  }
}
