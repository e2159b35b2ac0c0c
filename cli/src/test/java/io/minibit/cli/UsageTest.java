package io.minibit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** Help, version and usage errors: what a newcomer sees before any call is made. */
class UsageTest {
  @RegisterExtension
  final CliHarness cli = new CliHarness();

  @AfterEach
  void tearDown() {
    assertEquals(List.of(), cli.targets, "no usage path should open a channel");
  }

  @ParameterizedTest
  @ValueSource(strings = {"share", "get", "torrents", "status", "remove", "completion"})
  void everyCommandHasHelpWithExamples(String command) {
    CliHarness.Result result = cli.run(command, "--help");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertTrue(result.out().startsWith("Usage: minibit " + command), result.out());
    assertTrue(result.out().contains("Examples:"), result.out());
    assertTrue(result.out().contains("  minibit " + command), result.out());
    assertEquals("", result.err());
  }

  @Test
  void aRunBuildsOnlyTheCommandItRunsButHelpAndTyposSeeThemAll() {
    assertEquals(java.util.Optional.of("get"),
        MinibitMain.invoked(new String[] {"--peer", "unix:/x", "get", "a.iso"}));
    assertEquals(java.util.Optional.of("status"),
        MinibitMain.invoked(new String[] {"--tracker", "h:1", "status", "--json"}));
    assertEquals(java.util.Optional.empty(), MinibitMain.invoked(new String[] {"--help"}));
    assertEquals(java.util.Optional.empty(), MinibitMain.invoked(new String[] {"gte", "x"}));
    assertEquals(java.util.Optional.empty(),
        MinibitMain.invoked(new String[] {"completion", "bash"}), "the script needs them all");

    CliHarness.Result typo = cli.run("gte", "a.iso");
    assertEquals(ExitCodes.USAGE, typo.exitCode(), typo.toString());
    assertTrue(typo.err().contains("'gte'"), typo.err());
    CliHarness.Result help = cli.run("get", "--help");
    assertTrue(help.out().startsWith("Usage: minibit get"), help.out());
  }

  @ParameterizedTest
  @ValueSource(strings = {"share", "get", "torrents", "status", "remove"})
  void aCommandRunAloneReadsAsItDoesUnderTheTopCommand(String command) {
    // Mostly a command runs without the top command's model (see GlobalOptionTest), and
    // under it when the command line needs it. A user must not see the difference.
    CliHarness.Result alone = cli.run(command, "--help");
    CliHarness.Result under = cli.runUnderTop("--tracker", "h:1", command, "--help");
    assertEquals(under.out(), alone.out());

    CliHarness.Result aloneWrong = cli.run(command, "--bogus");
    CliHarness.Result underWrong = cli.runUnderTop("--tracker", "h:1", command, "--bogus");
    assertEquals(ExitCodes.USAGE, aloneWrong.exitCode(), aloneWrong.toString());
    assertEquals(underWrong.exitCode(), aloneWrong.exitCode());
    assertEquals(underWrong.err(), aloneWrong.err());
  }

  @Test
  void topLevelHelpListsCommandsExitCodesAndEnvironment() {
    CliHarness.Result result = cli.run("--help");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    for (String expected : List.of("share", "get", "torrents", "status", "remove",
        "Exit codes:", "5   integrity failure", "4   unavailable", "3   not found",
        "MINIBIT_PEER", "MINIBIT_TRACKER")) {
      assertTrue(result.out().contains(expected), expected + " in\n" + result.out());
    }
  }

  @Test
  void footersFitTheHelpWidthSoPicocliDoesNotRewrapThem() {
    CommandLine top = MinibitMain.commandLine(new CliContext(System.out, System.err, Map.of(),
        Path.of(""), false, cli.clock, CliHarness::channelToNowhere));
    List<CommandLine> commands = new ArrayList<>(top.getSubcommands().values());
    commands.add(top);
    for (CommandLine command : commands) {
      int width = command.getCommandSpec().usageMessage().width();
      for (String line : command.getCommandSpec().usageMessage().footer()) {
        assertTrue(line.length() < width, command.getCommandName() + ": " + line);
      }
    }
  }

  @Test
  void versionNamesTheProgram() {
    CliHarness.Result result = cli.run("--version");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals("minibit " + io.minibit.core.cli.Version.current(),
        result.out().lines().findFirst().orElseThrow());
    assertTrue(!result.out().startsWith("minibit unknown"), "version.properties is filtered");
  }

  @Test
  void anUnknownOptionIsAUsageError() {
    CliHarness.Result result = cli.run("get", "--bogus", "big.iso");

    assertEquals(ExitCodes.USAGE, result.exitCode(), result.toString());
    assertEquals("", result.out());
    assertEquals("minibit: Unknown option: '--bogus'", result.errLines().get(0));
    assertTrue(result.err().contains("Usage: minibit get"), result.err());
    assertTrue(result.err().contains("minibit get --help"), result.err());
  }

  @ParameterizedTest
  @CsvSource({"share, PATH", "get, INFOHASH|NAME", "remove, INFOHASH", "completion, SHELL"})
  void aMissingArgumentIsAUsageError(String command, String parameter) {
    CliHarness.Result result = cli.run(command);

    assertEquals(ExitCodes.USAGE, result.exitCode(), result.toString());
    assertEquals("minibit: Missing required parameter: '" + parameter + "'",
        result.errLines().get(0));
    assertTrue(result.err().contains("Usage: minibit " + command), result.err());
  }

  @Test
  void theCommandsModelsAreBuiltInCodeNotReadFromAnnotations() throws Exception {
    // Picocli reading annotations costs every command a quarter of its CPU (reflection, and a
    // proxy class per annotation type); see CommandSpecs.
    for (Class<?> type : List.of(MinibitMain.class, ShareCommand.class, GetCommand.class,
        TorrentsCommand.class, StatusCommand.class, RemoveCommand.class,
        CompletionCommand.class, PeerOptions.class, TrackerOptions.class)) {
      assertEquals(List.of(), picocliAnnotations(type), type.getName());
    }
  }

  private static List<String> picocliAnnotations(Class<?> type) {
    List<java.lang.reflect.AnnotatedElement> elements = new ArrayList<>();
    elements.add(type);
    elements.addAll(List.of(type.getDeclaredFields()));
    elements.addAll(List.of(type.getDeclaredMethods()));
    List<String> found = new ArrayList<>();
    for (java.lang.reflect.AnnotatedElement element : elements) {
      for (java.lang.annotation.Annotation annotation : element.getAnnotations()) {
        if (annotation.annotationType().getName().startsWith("picocli.")) {
          found.add(element + ": " + annotation.annotationType().getSimpleName());
        }
      }
    }
    return found;
  }

  @Test
  void noCommandIsAUsageError() {
    CliHarness.Result result = cli.run();

    assertEquals(ExitCodes.USAGE, result.exitCode(), result.toString());
    assertTrue(result.err().contains("Usage: minibit"), result.err());
  }

  @Test
  void aMisspelledCommandGetsSuggestions() {
    CliHarness.Result result = cli.run("sahre", "x");

    assertEquals(ExitCodes.USAGE, result.exitCode(), result.toString());
    assertTrue(result.err().contains("minibit share"), result.err());
  }

  @Test
  void aMalformedAddressIsAUsageError() {
    cli.env.put("MINIBIT_PEER", "localhost");

    CliHarness.Result result = cli.run("status");

    assertEquals(ExitCodes.USAGE, result.exitCode(), result.toString());
    assertEquals("minibit: Invalid value for option '--peer': 'localhost' is not HOST:PORT "
            + "(or unix:PATH, a socket)",
        result.errLines().get(0));
  }

  @Test
  void aControlTokenFileThatCannotBeReadOrComesWithATokenIsAUsageError() {
    CliHarness.Result missing = cli.run("status", "--control-token-file", "/no/such/token");

    assertEquals(ExitCodes.USAGE, missing.exitCode(), missing.toString());
    assertTrue(missing.errLines().get(0).contains(
        "--control-token-file /no/such/token cannot be read: no such file"), missing.toString());
    CliHarness.Result both = cli.run("status", "--control-token-file", "/etc/hostname",
        "--control-token", "a-long-enough-control-token-42");
    assertEquals(ExitCodes.USAGE, both.exitCode(), both.toString());
    assertTrue(both.errLines().get(0).contains("not both"), both.toString());
    assertEquals(List.of(), cli.peer.requests, "nothing sent");
  }
}
