package io.minibit.core.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A temporary directory that a fixture owns: created empty, deleted with everything in it on
 * {@link #close}. Lets a fixture registered as a JUnit extension keep its files without asking
 * the test for a {@code @TempDir}. Not thread-safe: create and close it from one thread.
 */
public final class ScratchDirectory implements AutoCloseable {
  private final Path path;

  private ScratchDirectory(Path path) {
    this.path = path;
  }

  /** A new empty directory under the system's temporary directory, named from {@code prefix}. */
  public static ScratchDirectory create(String prefix) throws IOException {
    return new ScratchDirectory(Files.createTempDirectory(prefix));
  }

  public Path path() {
    return path;
  }

  /** Deletes the directory and all it holds; fails if something in it cannot be deleted. */
  @Override
  public void close() throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    List<Path> deepestFirst;
    try (Stream<Path> files = Files.walk(path)) {
      deepestFirst = files.sorted(Comparator.reverseOrder()).toList();
    }
    for (Path file : deepestFirst) {
      Files.deleteIfExists(file);
    }
  }
}
