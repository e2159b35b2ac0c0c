package io.minibit.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes and renames files so that a reader, or a restart after a crash or a power cut, sees the
 * old state or the new one: the data is synced before the rename, and the directory after it (a
 * rename lives in the directory, and is not durable until the directory is synced).
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /**
   * Writes {@code content} to a temporary file beside {@code target} (named {@code
   * tempPrefix...tempSuffix}), syncs it, renames it over {@code target} and syncs the directory.
   */
  public static void write(Path target, byte[] content, String tempPrefix, String tempSuffix)
      throws IOException {
    Path directory = target.toAbsolutePath().getParent();
    Path temp = Files.createTempFile(directory, tempPrefix, tempSuffix);
    try {
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(content);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        channel.force(true);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
    syncDirectory(directory);
  }

  /** As above, with a hidden temporary file named after {@code target}. */
  public static void write(Path target, byte[] content) throws IOException {
    write(target, content, "." + target.getFileName(), ".tmp");
  }

  /**
   * Gives the file at {@code source} the name {@code target} in the same directory, never
   * replacing a file already there, and makes the change durable. The new name is a hard link
   * made before the old one goes, so a crash in between leaves both names on one file, never
   * neither; where a file system cannot link, the file is renamed after a check that the name is
   * free. FileAlreadyExistsException if {@code target} exists.
   */
  public static void publish(Path source, Path target) throws IOException {
    boolean linked;
    try {
      Files.createLink(target, source);
      linked = true;
    } catch (FileAlreadyExistsException e) {
      throw e; // the name is taken: never replaced
    } catch (UnsupportedOperationException | FileSystemException e) {
      // The link itself failed for want of hard links (FAT and exFAT, some network and FUSE
      // file systems: EPERM, ENOTSUP, EXDEV). Only the link: a failure to remove the old name
      // afterwards is not caught here.
      linked = false;
    }
    if (linked) {
      Files.delete(source);
    } else {
      Files.move(source, target); // without REPLACE_EXISTING: refused if the name appeared
    }
    syncDirectory(target.toAbsolutePath().getParent());
  }

  /** Makes the entries of {@code directory} (new names, renames, deletions) durable. */
  public static void syncDirectory(Path directory) throws IOException {
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }
}
