package io.minibit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.minibit.api.v2.ListTorrentsResponse;
import io.minibit.api.v2.TorrentSummary;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** --tracker with several trackers: asked in order until one answers; bad lists are usage errors. */
class SeveralTrackersTest {
  private static final String A = "a.lan:6969";
  private static final String B = "b.lan:6969";

  @RegisterExtension
  final CliHarness cli = new CliHarness();

  @BeforeEach
  void setUp() {
    cli.tracker.torrents = ListTorrentsResponse.newBuilder()
        .addTorrents(TorrentSummary.newBuilder().setInfohash(Snapshots.INFOHASH)
            .setName("big.iso").setSize(5).setBlockCount(1).setSeeders(1))
        .build();
  }

  @Test
  void theFirstTrackerThatAnswersIsListedAndTheOnesBeforeAreNamed() {
    CliHarness.Result result = cli.run(cli.reachingOnly(B), "torrents", "--tracker", A + "," + B);

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals(List.of(A, B), cli.targets);
    assertTrue(result.out().contains("big.iso"), result.out());
    assertEquals(List.of("minibit: tracker " + A + " unreachable, now using " + B),
        result.errLines());
  }

  @Test
  void aTrackerThatAnswersIsTheOnlyOneAsked() {
    CliHarness.Result result = cli.run(cli.reachingOnly(A, B), "torrents", "--tracker",
        A + "," + B);

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals(List.of(A), cli.targets);
    assertEquals("", result.err());
  }

  @Test
  void theEnvironmentTwinTakesAListToo() {
    cli.env.put("MINIBIT_TRACKER", A + "," + B);
    CliHarness.Result result = cli.run(cli.reachingOnly(B), "torrents");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals(List.of(A, B), cli.targets);
  }

  @Test
  void theListMayComeBeforeTheCommand() {
    CliHarness.Result result = cli.run(cli.reachingOnly(B), "--tracker", A + "," + B, "torrents");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals(List.of(A, B), cli.targets);
  }

  @Test
  void whenNoTrackerAnswersEachIsNamedOnOneLineAndTheExitIsUnavailable() {
    CliHarness.Result result = cli.run(CliHarness::channelToNowhere, "torrents", "--tracker",
        A + "," + B);

    assertEquals(ExitCodes.UNAVAILABLE, result.exitCode(), result.toString());
    assertEquals(List.of("minibit: cannot reach any tracker: cannot reach the tracker at " + A
        + " (is minibit-tracker running?); cannot reach the tracker at " + B
        + " (is minibit-tracker running?)"), result.errLines());
  }

  @Test
  void anAnswerThatIsAnErrorIsNotPassedOnToTheNextTracker() {
    cli.tracker.failure = Status.INVALID_ARGUMENT.withDescription("page_size is negative");
    CliHarness.Result result = cli.run(cli.reachingOnly(A, B), "torrents", "--tracker",
        A + "," + B);

    assertEquals(ExitCodes.USAGE, result.exitCode(), result.toString());
    assertEquals(List.of(A), cli.targets);
  }

  @Test
  void aDnsNameIsOneTarget() {
    CliHarness.Result result = cli.run(cli.reachingOnly("dns:///trackers.lan:6969"), "torrents",
        "--tracker", "dns:///trackers.lan:6969");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals(List.of("dns:///trackers.lan:6969"), cli.targets);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "a.lan:6969,,b.lan:6969  | has an empty entry (number 2)",
      "a.lan:6969,a.lan:6969   | names a.lan:6969 twice",
      "a.lan:6969,b.lan:70000  | port 70000 is not a port: give 1..65535",
      "a.lan:6969,b.lan        | has no port",
      "dns:///trackers.lan     | has no port"})
  void aBadListIsAUsageErrorThatNamesTheEntry(String list, String expected) {
    CliHarness.Result result = cli.run("torrents", "--tracker", list);

    assertEquals(ExitCodes.USAGE, result.exitCode(), result.toString());
    assertEquals(List.of(), cli.targets, "nothing was dialled");
    String first = result.errLines().get(0);
    assertTrue(first.startsWith("minibit: Invalid value for option '--tracker': "), first);
    assertTrue(first.contains(expected), first);
  }
}
