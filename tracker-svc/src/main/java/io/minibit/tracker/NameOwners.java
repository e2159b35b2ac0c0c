package io.minibit.tracker;

import io.minibit.core.AtomicFiles;
import io.minibit.core.Hashing;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Who owns each torrent name: the first publisher of the name. Kept on disk as one small file
 * per name, {@code <directory>/<sha256(name) hex>.owner}, holding the owner's id and the name on
 * two lines; written atomically, so a crash leaves the owner recorded or not at all.
 *
 * <p>Not thread-safe: its owner ({@link Catalog}) serializes every call.
 */
final class NameOwners {
  private static final Logger log = Logger.getLogger(NameOwners.class.getName());
  static final String SUFFIX = ".owner";
  private static final HexFormat HEX = HexFormat.of();

  private final Path directory;
  private final Map<String, Publisher> owners = new HashMap<>();

  private NameOwners(Path directory) {
    this.directory = directory;
  }

  /** The owners kept in {@code directory}, creating it if needed; bad files are logged, skipped. */
  static NameOwners open(Path directory) throws IOException {
    Files.createDirectories(directory);
    NameOwners names = new NameOwners(directory);
    names.load();
    return names;
  }

  Optional<Publisher> owner(String name) {
    return Optional.ofNullable(owners.get(name));
  }

  /** Records {@code publisher} as the owner of {@code name}, on disk first. */
  void claim(String name, Publisher publisher) throws IOException {
    AtomicFiles.write(fileOf(name),
        (publisher.id() + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8),
        ".claim-", ".tmp");
    owners.put(name, publisher);
  }

  int size() {
    return owners.size();
  }

  private Path fileOf(String name) {
    return directory.resolve(
        HEX.formatHex(Hashing.sha256(name.getBytes(StandardCharsets.UTF_8))) + SUFFIX);
  }

  private void load() throws IOException {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
      for (Path file : files) {
        String fileName = file.getFileName().toString();
        if (fileName.startsWith(".claim-")) {
          Files.deleteIfExists(file); // a claim that crashed before its rename never happened
        } else if (fileName.endsWith(SUFFIX)) {
          read(file);
        }
      }
    }
  }

  private void read(Path file) {
    try {
      String[] lines = Files.readString(file, StandardCharsets.UTF_8).split("\n", -1);
      if (lines.length != 3 || !lines[2].isEmpty() || !file.equals(fileOf(lines[1]))) {
        log.warning(() -> "skipping " + file + ": not an owner record of this catalog");
        return;
      }
      owners.put(lines[1], new Publisher(lines[0]));
    } catch (IOException | RuntimeException e) {
      // One bad file must not take the tracker down; its name is unowned until claimed again.
      log.log(Level.WARNING, "skipping " + file + ": not a valid owner record", e);
    }
  }
}
