package io.minibit.core.testing;

import io.minibit.core.ManifestBuilder;
import io.minibit.core.Torrent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/**
 * Files with reproducible content, and their torrents, for tests of every module. The bytes come
 * from {@code new Random(seed)}, whose sequence the JDK specifies, so a seed names the same
 * content on every JVM.
 */
public final class TestFiles {
  private TestFiles() {}

  /** A file on disk, the bytes it holds and its torrent. Treat {@code content} as read-only. */
  public record SharedFile(Path path, byte[] content, Torrent torrent) {
    /** The bytes of block {@code index}, as a peer would send them. */
    public byte[] block(int index) {
      int offset = Math.toIntExact(torrent.blockOffset(index));
      return Arrays.copyOfRange(content, offset, offset + torrent.blockLength(index));
    }
  }

  /** {@code length} pseudo-random bytes drawn from {@code seed}. */
  public static byte[] randomBytes(int length, long seed) {
    byte[] bytes = new byte[length];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  /** Writes {@code length} bytes drawn from {@code seed} to {@code directory/name}. */
  public static Path createFile(Path directory, String name, int length, long seed)
      throws IOException {
    Files.createDirectories(directory);
    return Files.write(directory.resolve(name), randomBytes(length, seed));
  }

  /**
   * The torrent of {@code file}, named after it, as {@link ManifestBuilder} computes it.
   *
   * @param blockSize bytes per block, or 0 for the default
   */
  public static Torrent torrentFor(Path file, int blockSize) throws IOException {
    return ManifestBuilder.build(file, file.getFileName().toString(), blockSize);
  }

  /** Creates a file of {@code length} bytes from {@code seed} and builds its torrent. */
  public static SharedFile share(Path directory, String name, int length, int blockSize, long seed)
      throws IOException {
    Path file = createFile(directory, name, length, seed);
    return new SharedFile(file, Files.readAllBytes(file), torrentFor(file, blockSize));
  }
}
