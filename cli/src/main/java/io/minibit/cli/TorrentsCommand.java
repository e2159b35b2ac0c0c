package io.minibit.cli;

import io.grpc.Channel;
import io.minibit.api.v2.ListTorrentsRequest;
import io.minibit.api.v2.ListTorrentsResponse;
import io.minibit.api.v2.TorrentSummary;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.Validation;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import picocli.CommandLine.Model.CommandSpec;

/** {@code minibit torrents}: the tracker's catalog as a table, one row per torrent. */
final class TorrentsCommand implements Subcommand {
  /** Torrents asked for per ListTorrents call: the tracker's largest page. */
  static final int PAGE_SIZE = 1000;

  private final CliContext context;
  private final CommandSpec spec;
  private final TrackerOptions tracker;

  TorrentsCommand(CliContext context) {
    this.context = context;
    spec = CommandSpecs.command(this, "torrents",
        "List the torrents published on the tracker, with the size of each swarm.",
        "Given several trackers, asks each in turn until one answers, and lists its catalog.");
    tracker = new TrackerOptions(spec);
    spec.addOption(CommandSpecs.flag(
        "Print the tracker's catalog as one JSON document (ListTorrentsResponse).", "--json"));
    CommandSpecs.examples(spec,
        "  minibit torrents",
        "  minibit torrents --tracker tracker.lan:6969",
        "  minibit torrents --tracker t1.lan:6969,t2.lan:6969",
        "",
        "Seeders hold every block; leechers are still downloading.",
        "Each version of a name has a row of its own: VERSION says which one",
        "'minibit get NAME' fetches (latest).");
  }

  @Override
  public CommandSpec spec() {
    return spec;
  }

  @Override
  public Integer call() {
    List<Endpoint> trackers = tracker.endpoints();
    ListTorrentsResponse response = null;
    Endpoint answered = null;
    List<String> failures = new ArrayList<>();
    for (Endpoint endpoint : trackers) {
      try (ServiceConnection connection = ServiceConnection.open(context.channels(), endpoint,
          tracker.tls())) {
        response = connection.call(TorrentsCommand::wholeCatalog);
        answered = endpoint;
        break;
      } catch (CliFailure e) {
        if (e.exitCode() != ExitCodes.UNAVAILABLE || trackers.size() == 1) {
          throw e;
        }
        failures.add(e.getMessage());
      }
    }
    if (response == null) {
      throw new CliFailure(ExitCodes.UNAVAILABLE,
          "cannot reach any tracker: " + String.join("; ", failures));
    }
    int skipped = trackers.indexOf(answered);
    if (skipped > 0) {
      context.err().println("minibit: tracker" + (skipped > 1 ? "s " : " ")
          + String.join(", ", trackers.subList(0, skipped).stream().map(Endpoint::address)
              .toList()) + " unreachable, now using " + answered.address());
    }
    if (CommandSpecs.isSet(spec, "--json")) {
      context.out().println(TransferJson.document(response));
      return ExitCodes.OK;
    }
    if (response.getTorrentsCount() == 0) {
      context.out().println("no torrents on the tracker at " + answered.address()
          + " yet: publish one with 'minibit share PATH'");
      return ExitCodes.OK;
    }
    TextTable table = TextTable.withHeaders(
        // VERSION beside NAME: scripts read the swarm's counts as the last two columns
        List.of("INFOHASH", "NAME", "VERSION", "SIZE", "BLOCKS", "SEEDERS", "LEECHERS"),
        List.of(TextTable.Align.LEFT, TextTable.Align.LEFT, TextTable.Align.LEFT,
            TextTable.Align.RIGHT, TextTable.Align.RIGHT, TextTable.Align.RIGHT,
            TextTable.Align.RIGHT));
    // A version is "older" only beside the latest of its name: a tracker that marks none (an
    // older one) leaves the column empty rather than calling every torrent old.
    Set<String> namesWithLatest = response.getTorrentsList().stream()
        .filter(TorrentSummary::getLatest).map(TorrentSummary::getName)
        .collect(Collectors.toSet());
    for (TorrentSummary torrent : response.getTorrentsList()) {
      String version = torrent.getLatest() ? "latest"
          : namesWithLatest.contains(torrent.getName()) ? "older" : "";
      table.row(torrent.getInfohash(), Validation.printable(torrent.getName()), version,
          HumanFormat.bytes(torrent.getSize()), String.valueOf(torrent.getBlockCount()),
          String.valueOf(torrent.getSeeders()), String.valueOf(torrent.getLeechers()));
    }
    table.lines().forEach(context.out()::println);
    return ExitCodes.OK;
  }

  /**
   * Every page of the catalog, as one response with no next page. Each page is a call of its
   * own, with its own deadline, so a big catalog takes as many deadlines as it has pages.
   */
  private static ListTorrentsResponse wholeCatalog(Channel channel) {
    ListTorrentsResponse.Builder all = ListTorrentsResponse.newBuilder();
    String token = "";
    do {
      ListTorrentsResponse page = TrackerServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(ServiceConnection.UNARY_DEADLINE_SECONDS, TimeUnit.SECONDS)
          .listTorrents(ListTorrentsRequest.newBuilder()
              .setPageSize(PAGE_SIZE).setPageToken(token).build());
      all.addAllTorrents(page.getTorrentsList());
      if (!page.getNextPageToken().isEmpty() && page.getNextPageToken().equals(token)) {
        // a tracker that sends the same token back would keep us here forever
        throw new CliFailure(ExitCodes.FAILURE, "the tracker sent the same page token twice: "
            + "its catalog cannot be listed to the end");
      }
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    return all.build();
  }
}
