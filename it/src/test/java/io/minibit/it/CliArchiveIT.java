package io.minibit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The class-data archive that scripts/cli-cds.sh makes beside the CLI jar (the Makefile and the
 * benchmark make one) must serve {@code minibit} wherever a user runs it from. A JVM started
 * with {@code -Xshare:on} refuses to start when it cannot use the archive, which makes an
 * archive that is silently ignored visible.
 */
class CliArchiveIT {
  private static final String CLI_JVM = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1";

  @TempDir Path root;

  @Test
  void anArchiveMadeFromARelativePathServesTheCliStartedFromAnotherDirectory() throws Exception {
    Path bin = Files.createDirectories(root.resolve("bin"));
    Path lib = Files.createDirectories(root.resolve("lib"));
    for (String launcher : List.of("launch.sh", "minibit")) {
      Files.copy(Cluster.HOME.resolve("bin").resolve(launcher), bin.resolve(launcher),
          StandardCopyOption.COPY_ATTRIBUTES);
    }
    Files.copy(Cluster.HOME.resolve("cli/target/minibit.jar"), lib.resolve("minibit.jar"));
    Files.copy(Cluster.HOME.resolve("peer-svc/target/minibit-peer.jar"),
        lib.resolve("minibit-peer.jar"));

    // Trained against a daemon of its own, which the script stops: it says nothing.
    String made = run(root, Map.of(), Cluster.HOME.resolve("scripts/cli-cds.sh").toString(),
        "lib/minibit.jar", "lib/minibit-peer.jar");
    assertEquals("exit 0\n", made);
    assertTrue(Files.isRegularFile(lib.resolve("minibit.jsa")), "no archive");

    Path elsewhere = Files.createDirectories(root.resolve("elsewhere"));
    String version = run(elsewhere, Map.of("JAVA_OPTS", "-Xshare:on " + CLI_JVM),
        bin.resolve("minibit").toString(), "--version");
    assertTrue(version.startsWith("exit 0\nminibit "), version);
  }

  /** Runs {@code command} in {@code dir}: "exit N", a newline, then what it printed. */
  private static String run(Path dir, Map<String, String> env, String... command)
      throws IOException, InterruptedException {
    Path output = Files.createTempFile(dir, "output", ".txt");
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
        .redirectErrorStream(true).redirectOutput(output.toFile());
    builder.environment().putAll(env);
    Process process = builder.start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish within 60 s");
    }
    return "exit " + process.exitValue() + "\n" + Files.readString(output, StandardCharsets.UTF_8);
  }
}
