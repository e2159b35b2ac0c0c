package io.minibit.cli;

import io.minibit.api.v2.DaemonUsage;
import io.minibit.api.v2.ListTransfersRequest;
import io.minibit.api.v2.ListTransfersResponse;
import io.minibit.api.v2.PeerControlServiceGrpc;
import io.minibit.api.v2.Transfer;
import io.minibit.api.v2.TransferPeer;
import io.minibit.api.v2.TransferState;
import io.minibit.core.Validation;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code minibit status}: every transfer the daemon runs, one row each, with an indented line
 * per peer so a stalled download shows which peers are backing off or sending bad blocks.
 */
final class StatusCommand implements Subcommand {
  private static final String INDENT = "    ";

  private final CliContext context;
  private final CommandSpec spec;
  private final PeerOptions peer;

  StatusCommand(CliContext context) {
    this.context = context;
    spec = CommandSpecs.command(this, "status",
        "Show the local peer daemon's downloads and seeds, and the peers of each.");
    peer = new PeerOptions(spec);
    spec.addOption(CommandSpecs.flag(
        "Print every transfer and its peers as one JSON document instead.", "--json"));
    CommandSpecs.examples(spec,
        "  minibit status",
        "  watch -n 1 minibit status",
        "  minibit status --json | jq '.transfers[] | {name, blocksHave, etaMs}'",
        "",
        "PEERS counts connected peers out of those known. Under each transfer, one",
        "line per peer: blocks it sent us, blocks it has, its round-trip time and",
        "rate, bytes we sent it, blocks from it that failed verification, and what",
        "the daemon does with it (active, choked, backing off, banned).");
  }

  @Override
  public CommandSpec spec() {
    return spec;
  }

  @Override
  public Integer call() {
    ListTransfersResponse response;
    try (ServiceConnection connection = ServiceConnection.open(context.channels(),
        peer.endpoint())) {
      response = connection.call(channel -> PeerControlServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(ServiceConnection.UNARY_DEADLINE_SECONDS, TimeUnit.SECONDS)
          .listTransfers(ListTransfersRequest.getDefaultInstance()));
    }
    if (CommandSpecs.isSet(spec, "--json")) {
      context.out().println(TransferJson.document(response));
      return ExitCodes.OK;
    }
    if (response.getTransfersCount() == 0) {
      context.out().println("no transfers: share a file with 'minibit share PATH' "
          + "or fetch one with 'minibit get NAME'");
    } else {
      lines(response.getTransfersList()).forEach(context.out()::println);
    }
    limits(response.getUsage()).ifPresent(context.out()::println);
    if (!response.getTracker().isEmpty()) {
      context.out().println("tracker: " + response.getTracker());
    }
    return ExitCodes.OK;
  }

  /**
   * The daemon's limits in one line, when it has any: "cache 1.2 GiB of 10.0 GiB, 3 evicted;
   * seed TTL 7d; download limit 1.0 MB/s"; empty when nothing is capped.
   */
  static Optional<String> limits(DaemonUsage usage) {
    List<String> parts = new ArrayList<>();
    if (usage.getCacheMaxBytes() > 0) {
      parts.add("cache " + HumanFormat.bytes(usage.getCacheBytes()) + " of "
          + HumanFormat.bytes(usage.getCacheMaxBytes())
          + (usage.getEvictions() > 0 ? ", " + usage.getEvictions() + " evicted" : ""));
    }
    if (usage.getSeedTtlMs() > 0) {
      parts.add("seed TTL " + HumanFormat.wholeSeconds(usage.getSeedTtlMs() / 1000)
          + (usage.getCacheMaxBytes() == 0 && usage.getEvictions() > 0
              ? ", " + usage.getEvictions() + " evicted" : ""));
    }
    if (usage.getDownloadLimitBytesPerSecond() > 0) {
      parts.add("download limit " + HumanFormat.rate(usage.getDownloadLimitBytesPerSecond()));
    }
    if (usage.getUploadLimitBytesPerSecond() > 0) {
      parts.add("upload limit " + HumanFormat.rate(usage.getUploadLimitBytesPerSecond()));
    }
    return parts.isEmpty() ? Optional.empty() : Optional.of("limits: " + String.join("; ", parts));
  }

  static List<String> lines(List<Transfer> transfers) {
    TextTable table = TextTable.withHeaders(
        List.of("INFOHASH", "NAME", "STATE", "DONE", "BLOCKS", "RATE", "ETA", "DOWN", "UP",
            "PEERS"),
        List.of(TextTable.Align.LEFT, TextTable.Align.LEFT, TextTable.Align.LEFT,
            TextTable.Align.RIGHT, TextTable.Align.RIGHT, TextTable.Align.RIGHT,
            TextTable.Align.RIGHT, TextTable.Align.RIGHT, TextTable.Align.RIGHT,
            TextTable.Align.RIGHT));
    for (Transfer transfer : transfers) {
      table.row(
          HumanFormat.shortHash(transfer.getInfohash()),
          TransferText.name(transfer),
          TransferText.state(transfer.getState()),
          TransferText.done(transfer),
          transfer.getBlocksHave() + "/" + transfer.getBlockCount(),
          transfer.getState() == TransferState.TRANSFER_STATE_DOWNLOADING
              ? HumanFormat.rate(transfer.getDownloadRate()) : "-",
          transfer.getState() == TransferState.TRANSFER_STATE_DOWNLOADING
              ? TransferText.eta(transfer) : "-",
          HumanFormat.bytes(transfer.getDownloadedBytes()),
          HumanFormat.bytes(transfer.getUploadedBytes()),
          TransferText.connectedPeers(transfer) + "/" + transfer.getPeersCount());
    }
    List<String> rows = table.lines();
    List<String> lines = new ArrayList<>();
    lines.add(rows.get(0));
    for (int i = 0; i < transfers.size(); i++) {
      lines.add(rows.get(i + 1));
      lines.addAll(details(transfers.get(i)));
    }
    return lines;
  }

  /** The indented lines under a transfer: why it is failing or stalled, then its peers. */
  private static List<String> details(Transfer transfer) {
    List<String> lines = new ArrayList<>();
    if (!transfer.getError().isEmpty()) {
      lines.add(INDENT + "error: " + StatusMessages.oneLine(transfer.getError()));
    }
    TextTable peers = TextTable.of(
        TextTable.Align.LEFT, TextTable.Align.RIGHT, TextTable.Align.RIGHT,
        TextTable.Align.RIGHT, TextTable.Align.RIGHT, TextTable.Align.RIGHT,
        TextTable.Align.RIGHT, TextTable.Align.LEFT);
    for (TransferPeer peer : transfer.getPeersList()) {
      peers.row(
          Validation.printable(peer.getAddress()),
          peer.getBlocksReceived() + " received",
          peer.getBlocksAvailable() + "/" + transfer.getBlockCount() + " available",
          peer.getRttMs() > 0 ? String.format("rtt %.1f ms", peer.getRttMs()) : "rtt -",
          HumanFormat.rate(peer.getDownloadRate()),
          HumanFormat.bytes(peer.getBytesSent()) + " sent",
          peer.getHashFailures() + (peer.getHashFailures() == 1 ? " hash failure"
              : " hash failures"),
          peerStatus(peer) + (peer.getChokedByUs() ? "; we choke it" : ""));
    }
    peers.lines().forEach(line -> lines.add(INDENT + line));
    return lines;
  }

  /** The daemon's own words for what it does with the peer; older daemons only say connected. */
  private static String peerStatus(TransferPeer peer) {
    if (!peer.getStatus().isEmpty()) {
      return Validation.printable(peer.getStatus());
    }
    return peer.getConnected() ? "connected" : "not connected";
  }
}
