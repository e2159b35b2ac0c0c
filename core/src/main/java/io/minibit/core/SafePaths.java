package io.minibit.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** Resolves user-supplied paths so that nothing is read or written outside a root directory. */
public final class SafePaths {
  private SafePaths() {}

  /**
   * Resolves {@code userPath} (absolute, or relative to {@code root}) to a real path inside
   * {@code root}, following symlinks. INVALID_ARGUMENT if it lies outside, NOT_FOUND if it does
   * not exist.
   */
  public static Path existingInside(Path root, String userPath) throws IOException {
    Path realRoot = root.toRealPath();
    Path candidate = resolve(realRoot, userPath);
    if (!Files.exists(candidate)) {
      if (!candidate.startsWith(realRoot)) {
        throw outside(userPath, realRoot);
      }
      throw MinibitException.notFound("%s does not exist", Validation.printable(userPath));
    }
    Path real = candidate.toRealPath();
    if (!real.startsWith(realRoot)) {
      throw outside(userPath, realRoot);
    }
    return real;
  }

  /**
   * Resolves {@code userPath} to a directory inside {@code root}, creating it (and its parents)
   * if needed. An empty path is {@code root} itself.
   */
  public static Path directoryInside(Path root, String userPath) throws IOException {
    Path realRoot = root.toRealPath();
    Path candidate = resolve(realRoot, userPath);
    if (!candidate.startsWith(realRoot)) {
      throw outside(userPath, realRoot);
    }
    // Walk down from the root so that a symlinked component cannot lead outside.
    Path current = realRoot;
    for (Path part : realRoot.relativize(candidate)) {
      if (part.toString().isEmpty()) {
        continue;
      }
      current = current.resolve(part);
      if (!Files.exists(current, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectory(current);
      }
      current = current.toRealPath();
      if (!current.startsWith(realRoot)) {
        throw outside(userPath, realRoot);
      }
      if (!Files.isDirectory(current)) {
        throw MinibitException.invalid("%s is not a directory", Validation.printable(userPath));
      }
    }
    return current;
  }

  /** Resolves a validated file name inside {@code directory}; the name may not contain a separator. */
  public static Path fileIn(Path directory, String name) {
    Validation.requireFileName("file name", name);
    Path file = directory.resolve(name).normalize();
    if (!directory.equals(file.getParent())) {
      throw MinibitException.invalid("file name '%s' escapes its directory", Validation.printable(name));
    }
    return file;
  }

  /** {@code userPath} against {@code realRoot}, normalized; INVALID_ARGUMENT if it is no path. */
  private static Path resolve(Path realRoot, String userPath) {
    try {
      return realRoot.resolve(userPath == null ? "" : userPath).normalize();
    } catch (InvalidPathException e) {
      throw MinibitException.invalid("%s is not a valid path", Validation.printable(userPath));
    }
  }

  private static MinibitException outside(String userPath, Path root) {
    return MinibitException.invalid("%s is outside the data directory %s",
        Validation.printable(userPath), root);
  }
}
