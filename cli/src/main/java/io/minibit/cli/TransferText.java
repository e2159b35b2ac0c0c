package io.minibit.cli;

import io.minibit.api.v2.Transfer;
import io.minibit.api.v2.TransferPeer;
import io.minibit.api.v2.TransferState;
import io.minibit.core.Validation;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * How a {@link Transfer} snapshot reads on a terminal: its state, a progress line, and the
 * summary printed when a download completes. Pure functions of the snapshot.
 */
final class TransferText {
  private TransferText() {}

  /** "checking", "downloading", "seeding", "failed". */
  static String state(TransferState state) {
    return switch (state) {
      case TRANSFER_STATE_CHECKING -> "checking";
      case TRANSFER_STATE_DOWNLOADING -> "downloading";
      case TRANSFER_STATE_SEEDING -> "seeding";
      case TRANSFER_STATE_FAILED -> "failed";
      default -> "unknown";
    };
  }

  /** A name from the daemon, made safe to print on one line. */
  static String name(Transfer transfer) {
    return Validation.printable(transfer.getName());
  }

  /**
   * Bytes held, estimated from the block count: the snapshot counts blocks, not bytes, and
   * every block but the last is the same size, so the estimate is off by less than one block.
   */
  static long bytesHave(Transfer transfer) {
    if (transfer.getBlocksHave() >= transfer.getBlockCount()) {
      return transfer.getSize();
    }
    return (long) ((double) transfer.getSize() * transfer.getBlocksHave()
        / transfer.getBlockCount());
  }

  /**
   * The share of blocks held, "42.0%", or "--" while the block count is not known yet (a
   * download whose manifest has not arrived), which would otherwise read as done.
   */
  static String done(Transfer transfer) {
    if (transfer.getBlockCount() == 0
        && transfer.getState() != TransferState.TRANSFER_STATE_SEEDING) {
      return "--";
    }
    return HumanFormat.percent(transfer.getBlocksHave(), transfer.getBlockCount());
  }

  static long connectedPeers(Transfer transfer) {
    return transfer.getPeersList().stream().filter(TransferPeer::getConnected).count();
  }

  /** Time left at the current rate, as {@link HumanFormat#eta} says it. */
  static String eta(Transfer transfer) {
    return HumanFormat.eta(transfer.getSize() - bytesHave(transfer), transfer.getDownloadRate());
  }

  /** "[##########--------------]": the share of blocks held, {@code width} characters wide. */
  static String bar(Transfer transfer, int width) {
    int filled = transfer.getBlockCount() == 0
        ? (transfer.getState() == TransferState.TRANSFER_STATE_SEEDING ? width : 0)
        : (int) ((long) width * transfer.getBlocksHave() / transfer.getBlockCount());
    return "[" + "#".repeat(filled) + "-".repeat(width - filled) + "]";
  }

  /** "big.iso  42.0%  26.9 MiB / 64.0 MiB  12.3 MB/s  ETA 3s  3 peers". */
  static String progressLine(Transfer transfer) {
    long have = bytesHave(transfer);
    long peers = connectedPeers(transfer);
    StringBuilder line = new StringBuilder();
    if (transfer.getState() == TransferState.TRANSFER_STATE_CHECKING) {
      line.append("checking ");
    }
    line.append(name(transfer)).append("  ")
        .append(done(transfer))
        .append("  ").append(HumanFormat.bytes(have))
        .append(" / ").append(HumanFormat.bytes(transfer.getSize()))
        .append("  ").append(HumanFormat.rate(transfer.getDownloadRate()))
        .append("  ETA ").append(eta(transfer))
        .append("  ").append(peers).append(peers == 1 ? " peer" : " peers");
    if (!transfer.getError().isEmpty()) {
      line.append("  (").append(StatusMessages.oneLine(transfer.getError())).append(')');
    }
    return line.toString();
  }

  /**
   * What a finished download looks like: name, size, time and average rate, blocks found on
   * disk, then the blocks each peer sent, most first:
   *
   * <pre>
   * got big.iso: 64.0 MiB in 5.2 s (12.3 MB/s average)
   *   resumed 12 blocks already on disk
   *   from 127.0.0.1:6882  412 blocks (64.4%)
   * </pre>
   */
  static List<String> summary(Transfer transfer) {
    List<TransferPeer> senders = transfer.getPeersList().stream()
        .filter(peer -> peer.getBlocksReceived() > 0)
        .sorted(Comparator.comparingInt(TransferPeer::getBlocksReceived).reversed()
            .thenComparing(TransferPeer::getAddress))
        .toList();
    long fetched = senders.stream().mapToLong(TransferPeer::getBytesReceived).sum();
    List<String> lines = new ArrayList<>();
    lines.add("got " + name(transfer) + ": " + HumanFormat.bytes(transfer.getSize())
        + " in " + HumanFormat.duration(transfer.getElapsedMs())
        + " (" + HumanFormat.averageRate(fetched, transfer.getElapsedMs()) + " average)");
    if (transfer.getBlocksResumed() > 0) {
      lines.add("  resumed " + transfer.getBlocksResumed() + " of " + transfer.getBlockCount()
          + " blocks already on disk");
    }
    int addressWidth = senders.stream()
        .mapToInt(peer -> Validation.printable(peer.getAddress()).length()).max().orElse(0);
    int countWidth = senders.stream()
        .mapToInt(peer -> String.valueOf(peer.getBlocksReceived()).length()).max().orElse(0);
    for (TransferPeer peer : senders) {
      String address = Validation.printable(peer.getAddress());
      String count = String.valueOf(peer.getBlocksReceived());
      lines.add("  from " + address + " ".repeat(addressWidth - address.length() + 2)
          + " ".repeat(countWidth - count.length()) + count + " blocks ("
          + HumanFormat.percent(peer.getBlocksReceived(), transfer.getBlockCount()) + ")");
    }
    return lines;
  }
}
