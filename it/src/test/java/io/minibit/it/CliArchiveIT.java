package io.minibit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The class-data archive that scripts/cli-cds.sh makes beside the CLI jar (the Makefile and the
 * benchmark make one) must serve {@code minibit} wherever a user runs it from. A JVM started
 * with {@code -Xshare:on} refuses to start when it cannot use the archive, which makes an
 * archive that is silently ignored visible.
 */
class CliArchiveIT {
  private static final String CLI_JVM = "-XX:+UseG1GC -XX:TieredStopAtLevel=1";

  @TempDir Path root;

  @Test
  void anArchiveMadeFromARelativePathServesTheCliFromAnotherDirectoryUntilItsJarIsRebuilt() throws Exception {
    Path bin = install("minibit.jar", "minibit-peer.jar");
    Path lib = root.resolve("lib");

    // Trained against a daemon of its own, which the script stops: it says nothing.
    Cluster.Result made = run(root, Map.of(),
        Cluster.HOME.resolve("scripts/cli-cds.sh").toString(), "lib/minibit.jar",
        "lib/minibit-peer.jar");
    assertEquals(0, made.exitCode(), made.toString());
    assertEquals("", made.stdout() + made.stderr(), made.toString());
    assertTrue(Files.isRegularFile(lib.resolve("minibit.jsa")), "no archive");

    Path elsewhere = Files.createDirectories(root.resolve("elsewhere"));
    Cluster.Result version = run(elsewhere, Map.of("JAVA_OPTS", "-Xshare:on " + CLI_JVM),
        bin.resolve("minibit").toString(), "--version");
    assertEquals(0, version.exitCode(), version.toString());
    assertTrue(version.stdout().startsWith("minibit "), version.toString());
    assertEquals("", version.stderr(), version.toString());
    // Through a symbolic link (an install on the PATH has one), and by a relative path, the
    // launcher finds its layout and the archive alike.
    Path link = Files.createSymbolicLink(elsewhere.resolve("minibit"), bin.resolve("minibit"));
    for (String launcher : List.of(link.toString(), "../bin/minibit")) {
      Cluster.Result found = run(elsewhere, Map.of("JAVA_OPTS", "-Xshare:on " + CLI_JVM),
          launcher, "--version");
      assertEquals(0, found.exitCode(), found.toString());
      assertEquals("", found.stderr(), found.toString());
    }

    // A jar rebuilt after its archive: the launcher leaves the archive out (the JVM would
    // refuse it, and -Xshare:on then fails), so the JVM starts on the JDK's own archive.
    Files.setLastModifiedTime(lib.resolve("minibit.jar"), FileTime.from(
        Files.getLastModifiedTime(lib.resolve("minibit.jsa")).toInstant().plusSeconds(60)));
    Cluster.Result rebuilt = run(elsewhere, Map.of("JAVA_OPTS", "-Xshare:on " + CLI_JVM),
        bin.resolve("minibit").toString(), "--version");
    assertEquals(0, rebuilt.exitCode(), rebuilt.toString());
    assertEquals("", rebuilt.stderr(), rebuilt.toString());

    // At a terminal (script gives the command one), the launcher says why the start is slower.
    Cluster.Result atTerminal = run(elsewhere, Map.of(), "script", "-qec",
        bin.resolve("minibit") + " --version", "/dev/null");
    assertEquals(0, atTerminal.exitCode(), atTerminal.toString());
    assertTrue(atTerminal.stdout().contains("minibit.jsa is older than its jar and is left out"),
        atTerminal.toString());
  }

  @Test
  void givenATrackerTheTrainingFollowsADownloadToItsEndAndTheArchiveHoldsWhatItsEndLoads()
      throws Exception {
    install("minibit.jar", "minibit-peer.jar", "minibit-tracker.jar");
    Cluster.Result made = run(root, Map.of(),
        Cluster.HOME.resolve("scripts/cli-cds.sh").toString(), "lib/minibit.jar",
        "lib/minibit-peer.jar", "lib/minibit-tracker.jar");
    assertEquals(0, made.exitCode(), made.toString());
    assertEquals("", made.stdout() + made.stderr(), made.toString());

    // The archive's dictionary, as the JVM lists it: the classes of a `get` that completed
    // (its summary) and of a `share`, which a training against no tracker never reaches.
    Cluster.Result listed = run(root, Map.of(),
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:SharedArchiveFile=" + root.resolve("lib/minibit.jsa"),
        "-XX:+PrintSharedArchiveAndExit", "-XX:+PrintSharedDictionary",
        "-cp", root.resolve("lib/minibit.jar").toString());
    for (String trained : List.of("io.minibit.cli.TransferText ",
        "io.minibit.cli.ShareCommand ", "io.minibit.cli.TorrentsCommand ")) {
      assertTrue(listed.stdout().contains(trained), trained + "is not in the archive");
    }
  }

  @Test
  void theLaunchersOwnFlagsMapTheArchiveWhole() throws Exception {
    Path bin = install("minibit.jar");
    Cluster.Result made = run(root, Map.of(),
        Cluster.HOME.resolve("scripts/cli-cds.sh").toString(), "lib/minibit.jar");
    assertEquals(0, made.exitCode(), made.toString());

    // What the launcher hands the JVM when JAVA_OPTS is unset: a stand-in java writes it down.
    Path args = root.resolve("args");
    Path recorder = root.resolve("java");
    Files.writeString(recorder, "#!/bin/sh\nprintf '%s\\n' \"$@\" > '" + args + "'\n");
    assertTrue(recorder.toFile().setExecutable(true));
    Cluster.Result recorded = run(root, Map.of("JAVA", recorder.toString()),
        bin.resolve("minibit").toString(), "--version");
    assertEquals(0, recorded.exitCode(), recorded.toString());
    List<String> flags = new ArrayList<>(Files.readAllLines(args));
    int jar = flags.indexOf("-cp");
    assertTrue(jar > 0 && flags.stream().anyMatch(
        flag -> flag.startsWith("-XX:SharedArchiveFile=") && flag.endsWith("/lib/minibit.jsa")),
        "the launcher passes the archive: " + flags);
    // And the flags that spare a command following a long download the JVM's own wake-ups.
    assertTrue(flags.containsAll(List.of("-XX:-UsePerfData",
        "-XX:GuaranteedSafepointInterval=10000", "-XX:AsyncDeflationInterval=10000")),
        "the launcher passes the quiet flags: " + flags);
    assertTrue(flags.contains("-XX:ArchiveRelocationMode=0"),
        "the launcher maps the archive where it was made for: " + flags);
    assertTrue(flags.contains("-XX:-BytecodeVerificationRemote"),
        "the launcher does not verify again the classes the archive holds unverified: " + flags);

    // The same flags, with the JVM saying how much of the archive it mapped. The serial
    // collector, for one, would leave the archived heap (the module graph among it) unmapped.
    flags.add(jar, "-Xlog:cds=info");
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(flags);
    Cluster.Result version = run(root, Map.of(), command.toArray(String[]::new));
    assertEquals(0, version.exitCode(), version.toString());
    assertTrue(version.stdout().contains("full module graph: enabled"), version.stdout());
    // Mapped where it was made for: not relocated, which would copy most of it into the
    // command's own memory on every start.
    assertTrue(version.stdout().contains("Mapped static  region #0 at base"), version.stdout());
    assertFalse(version.stdout().contains("alternative address"), version.stdout());
  }

  /** The CLI's launchers in root/bin and {@code jars} in root/lib, as an install lays them out. */
  private Path install(String... jars) throws IOException {
    Cluster.install(root, List.of("launch.sh", "minibit"), List.of(jars));
    return root.resolve("bin");
  }

  /** Runs {@code command} in {@code dir} to its end, as {@link Cluster#cli} runs bin/minibit. */
  private static Cluster.Result run(Path dir, Map<String, String> env, String... command)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile(dir, "command", ".out");
    Path err = Files.createTempFile(dir, "command", ".err");
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    builder.environment().putAll(env);
    return new Cluster.RunningCli(builder.start(), out, err, String.join(" ", command))
        .finish(Duration.ofSeconds(60));
  }
}
