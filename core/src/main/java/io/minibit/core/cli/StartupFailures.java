package io.minibit.core.cli;

import java.io.IOException;
import java.net.BindException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** Turns why a daemon could not start into one line for its user, in words, not class names. */
public final class StartupFailures {
  /** A server that could not listen: its message names it (and its port) and says why. */
  public static final class ListenException extends IOException {
    public ListenException(String what, Throwable cause) {
      super(what + ": " + describe(cause), cause);
    }
  }

  private StartupFailures() {}

  /** The most telling message in a failure's cause chain. */
  public static String describe(Throwable e) {
    Throwable root = e;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ListenException) {
        return t.getMessage();
      }
      // Netty's native transport reports a taken port as its own IOException, not BindException.
      String message = t.getMessage();
      if (t instanceof BindException
          || (message != null && message.toLowerCase(Locale.ROOT).contains("already in use"))) {
        return "the address is already in use (another process listens there)";
      }
      if (t instanceof FileSystemException fs) {
        return fileProblem(fs);
      }
      root = t;
    }
    String message = root.getMessage();
    return message == null || message.isBlank()
        ? "an unexpected error (" + root.getClass().getSimpleName() + ")" : message;
  }

  /** "PATH: what is wrong with it", as a person says it. */
  private static String fileProblem(FileSystemException e) {
    String reason = e instanceof NoSuchFileException ? "no such file or directory"
        : e instanceof AccessDeniedException ? "permission denied"
        : e instanceof FileAlreadyExistsException ? "already exists"
        : e instanceof NotDirectoryException ? "not a directory"
        : e instanceof DirectoryNotEmptyException ? "directory not empty"
        : e.getReason() != null ? e.getReason().toLowerCase(Locale.ROOT) : "cannot be used";
    String other = e.getOtherFile() == null ? "" : " (and " + e.getOtherFile() + ")";
    return (e.getFile() == null ? "a file" : e.getFile()) + other + ": " + reason;
  }

  /**
   * Removes what a failed start made of {@code dir}, which did not exist before it: the
   * directories it created, as long as no file was written in them. A directory holding a file
   * is left as it is.
   */
  public static void removeIfLeftEmpty(Path dir) {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      List<Path> all = walk.sorted(Comparator.reverseOrder()).toList();
      if (all.stream().anyMatch(p -> !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))) {
        return;
      }
      for (Path empty : all) {
        Files.deleteIfExists(empty);
      }
    } catch (IOException e) {
      // left behind: an empty directory, nothing lost
    }
  }
}
