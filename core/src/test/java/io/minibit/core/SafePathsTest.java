package io.minibit.core;

import static io.minibit.core.testing.MinibitAssertions.assertFailsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafePathsTest {
  @TempDir Path base;

  /** The data directory; {@code base/secret.txt} and {@code base/elsewhere/} lie outside it. */
  private Path root;
  private Path secret;
  private Path elsewhere;

  @BeforeEach
  void createTree() throws IOException {
    root = Files.createDirectories(base.resolve("root")).toRealPath();
    Files.createDirectories(root.resolve("sub"));
    Files.writeString(root.resolve("sub/file.txt"), "inside");
    secret = Files.writeString(base.resolve("secret.txt"), "outside").toRealPath();
    elsewhere = Files.createDirectories(base.resolve("elsewhere")).toRealPath();
  }

  @Test
  void relativePathInsideRootResolvesToItsRealPath() throws IOException {
    assertEquals(root.resolve("sub/file.txt"), SafePaths.existingInside(root, "sub/file.txt"));
    assertEquals(root.resolve("sub/file.txt"),
        SafePaths.existingInside(root, "sub/./../sub/file.txt"));
  }

  @Test
  void absolutePathInsideRootIsAccepted() throws IOException {
    String absolute = root.resolve("sub/file.txt").toString();

    assertEquals(root.resolve("sub/file.txt"), SafePaths.existingInside(root, absolute));
  }

  @Test
  void rootReachedThroughASymlinkStillContainsItsFiles() throws IOException {
    Path link = Files.createSymbolicLink(base.resolve("root-link"), root);

    assertEquals(root.resolve("sub/file.txt"),
        SafePaths.existingInside(link, link.resolve("sub/file.txt").toString()));
  }

  @Test
  void symlinkInsideRootToAFileInsideIsFollowed() throws IOException {
    Files.createSymbolicLink(root.resolve("alias"), root.resolve("sub/file.txt"));

    assertEquals(root.resolve("sub/file.txt"), SafePaths.existingInside(root, "alias"));
  }

  @Test
  void pathsLeadingOutsideAreRefused() {
    for (String outside : new String[] {"../secret.txt", "sub/../../secret.txt",
        secret.toString(), "../no-such-file", base.resolve("no-such-file").toString(), "/"}) {
      MinibitException e = assertFailsWith(ErrorCode.INVALID_ARGUMENT,
          () -> SafePaths.existingInside(root, outside));
      assertTrue(e.getMessage().contains("outside"), e.getMessage());
    }
  }

  @Test
  void symlinkInsideRootThatPointsOutsideIsRefused() throws IOException {
    Files.createSymbolicLink(root.resolve("leak"), secret);
    Files.createSymbolicLink(root.resolve("sub/dir-leak"), elsewhere);
    Files.writeString(elsewhere.resolve("x"), "outside");

    assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> SafePaths.existingInside(root, "leak"));
    assertFailsWith(ErrorCode.INVALID_ARGUMENT,
        () -> SafePaths.existingInside(root, "sub/dir-leak/x"));
  }

  @Test
  void missingFileInsideIsNotFound() {
    assertFailsWith(ErrorCode.NOT_FOUND, () -> SafePaths.existingInside(root, "sub/nope.txt"));
  }

  @Test
  void pathTheFileSystemCannotRepresentIsInvalid() {
    assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> SafePaths.existingInside(root, "a\0b"));
    assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> SafePaths.directoryInside(root, "a\0b"));
  }

  @Test
  void directoryInsideCreatesNestedDirectories() throws IOException {
    Path created = SafePaths.directoryInside(root, "downloads/2024/iso");

    assertEquals(root.resolve("downloads/2024/iso"), created);
    assertTrue(Files.isDirectory(created));
    assertEquals(root.resolve("sub"), SafePaths.directoryInside(root, "sub"));
    assertEquals(root, SafePaths.directoryInside(root, ""));
    assertEquals(root.resolve("abs"),
        SafePaths.directoryInside(root, root.resolve("abs").toString()));
  }

  @Test
  void directoryInsideRefusesToLeaveRoot() {
    assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> SafePaths.directoryInside(root, "../made"));
    assertFailsWith(ErrorCode.INVALID_ARGUMENT,
        () -> SafePaths.directoryInside(root, base.resolve("made").toString()));

    assertFalse(Files.exists(base.resolve("made")));
  }

  @Test
  void directoryInsideRefusesASymlinkedComponentLeadingOutside() throws IOException {
    Files.createSymbolicLink(root.resolve("link"), elsewhere);

    assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> SafePaths.directoryInside(root, "link/made"));
    assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> SafePaths.directoryInside(root, "link"));

    assertFalse(Files.exists(elsewhere.resolve("made")));
  }

  @Test
  void directoryInsideRefusesAFileAsADirectory() {
    assertFailsWith(ErrorCode.INVALID_ARGUMENT,
        () -> SafePaths.directoryInside(root, "sub/file.txt/deeper"));
  }

  @Test
  void fileInAcceptsAPlainName() {
    assertEquals(root.resolve("movie.mkv"), SafePaths.fileIn(root, "movie.mkv"));
  }

  @Test
  void fileInRefusesNamesThatAreNotPlain() {
    for (String name : new String[] {"a/b", "..", ".", "", "../x", "/etc/passwd", "a\\b"}) {
      assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> SafePaths.fileIn(root, name));
    }
  }
}
