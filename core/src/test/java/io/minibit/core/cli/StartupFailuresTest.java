package io.minibit.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.BindException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StartupFailuresTest {
  @TempDir Path dir;

  @Test
  void filesAreNamedWithWhatIsWrongInWords() {
    assertEquals("/srv/x: already exists", StartupFailures.describe(
        new IOException("wrapped", new FileAlreadyExistsException("/srv/x"))));
    assertEquals("/srv/y: permission denied",
        StartupFailures.describe(new AccessDeniedException("/srv/y")));
  }

  @Test
  void aServerThatCannotListenIsNamedWithItsPort() {
    IOException failure = new StartupFailures.ListenException("the peer service (port 6881, "
        + "--port) cannot listen", new IOException("bind", new BindException("in use")));
    assertEquals("the peer service (port 6881, --port) cannot listen: the address is already in "
        + "use (another process listens there)", StartupFailures.describe(failure));
  }

  @Test
  void noClassNameUnlessThereIsNothingElse() {
    assertEquals("the tracker is gone", StartupFailures.describe(
        new IllegalStateException("the tracker is gone")));
    assertEquals("an unexpected error (NullPointerException)",
        StartupFailures.describe(new NullPointerException()));
  }

  @Test
  void whatAFailedStartMadeIsRemovedButNoFile() throws IOException {
    Files.createDirectories(dir.resolve("data/.minibit/transfers"));
    StartupFailures.removeIfLeftEmpty(dir.resolve("data"));
    assertFalse(Files.exists(dir.resolve("data")));

    Path kept = Files.createDirectories(dir.resolve("kept/.minibit"));
    Files.writeString(kept.resolve("record"), "x");
    StartupFailures.removeIfLeftEmpty(dir.resolve("kept"));
    assertTrue(Files.exists(kept.resolve("record")), "a directory with a file stays");
  }
}
