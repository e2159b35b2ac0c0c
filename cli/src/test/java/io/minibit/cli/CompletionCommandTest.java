package io.minibit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The completion script, run by a real bash as a user's shell would. */
class CompletionCommandTest {
  @TempDir Path dir;
  @RegisterExtension
  final CliHarness cli = new CliHarness();

  @AfterEach
  void tearDown() {
    assertEquals(List.of(), cli.targets, "completion opens no channel");
  }

  /** What bash offers after the words typed so far (the last one being completed). */
  private List<String> complete(Path script, String... words) throws Exception {
    String line = String.join(" ", words);
    // compopt works only inside a completion bash itself started: a no-op stands in for it
    String program = "source " + script + "\n"
        + "compopt() { :; }\n"
        + "COMP_WORDS=(" + line + ")\n"
        + "COMP_CWORD=" + (words.length - 1) + "\n"
        + "COMP_LINE='" + line + "'\n"
        + "COMP_POINT=" + line.length() + "\n"
        + "_complete_minibit\n"
        + "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
    Process bash = new ProcessBuilder("bash", "-c", program).redirectErrorStream(true).start();
    assertTrue(bash.waitFor(30, TimeUnit.SECONDS), "bash ends");
    String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, bash.exitValue(), out);
    return out.lines().map(String::strip).filter(word -> !word.isEmpty()).toList();
  }

  @Test
  void bashCompletesCommandsAndTheirOptions() throws Exception {
    CliHarness.Result result = cli.run("completion", "bash");
    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals("", result.err());
    Path script = Files.writeString(dir.resolve("minibit.bash"), result.out());

    assertEquals(List.of("get"), complete(script, "minibit", "ge"));
    assertTrue(complete(script, "minibit", "").containsAll(
        List.of("share", "get", "torrents", "status", "remove", "completion")));
    assertTrue(complete(script, "minibit", "get", "--no").contains("--no-peers-timeout"));
    assertTrue(complete(script, "minibit", "share", "-").containsAll(
        List.of("--block-size", "--quiet")));
  }

  @Test
  void zshGetsTheScriptItRunsThroughBashcompinit() {
    CliHarness.Result zsh = cli.run("completion", "zsh");
    assertEquals(ExitCodes.OK, zsh.exitCode(), zsh.toString());
    assertTrue(zsh.out().contains("bashcompinit"), zsh.out());
  }

  @Test
  void anotherShellIsAUsageError() {
    CliHarness.Result fish = cli.run("completion", "fish");
    assertEquals(ExitCodes.USAGE, fish.exitCode(), fish.toString());
    assertTrue(fish.err().contains("fish"), fish.err());
  }
}
