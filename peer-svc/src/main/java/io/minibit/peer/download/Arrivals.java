package io.minibit.peer.download;

import io.grpc.Status;
import io.minibit.core.ErrorReason;
import io.minibit.core.Torrent;
import io.minibit.core.store.BlockStore;
import io.minibit.peer.policy.RarestFirstPicker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * What comes back of the calls out to peers: each block written (stored, a duplicate, or corrupt)
 * and each call's end. A stored block withdraws its other copies and counts to its sender; a
 * corrupt one costs its sender a strike ({@link RemotePeer#MAX_STRIKES} ban it); a call that
 * fails fails its peer, one refused as choked waits for the peer's UNCHOKE. Says when every block
 * is here, once.
 *
 * <p>Not thread-safe: only its scheduler's loop touches it.
 */
final class Arrivals {
  private static final Logger log = Logger.getLogger(Arrivals.class.getName());

  private final Torrent torrent;
  private final RarestFirstPicker picker;
  private final PeerRoster roster;
  private final InFlightBook book;
  private final PeerLifecycle lifecycle;
  private final Refills refills;
  private final DownloadOutcome outcome;
  private final FetchStats stats;
  private final Clock clock;
  private boolean completing;
  private Instant lastUseful;
  private int blocksReceived;

  Arrivals(Torrent torrent, RarestFirstPicker picker, PeerRoster roster, InFlightBook book,
      PeerLifecycle lifecycle, Refills refills, DownloadOutcome outcome, FetchStats stats,
      Clock clock) {
    this.torrent = torrent;
    this.picker = picker;
    this.roster = roster;
    this.book = book;
    this.lifecycle = lifecycle;
    this.refills = refills;
    this.outcome = outcome;
    this.stats = stats;
    this.clock = clock;
    this.lastUseful = clock.instant();
  }

  /** Blocks stored by this download. */
  int blocksReceived() {
    return blocksReceived;
  }

  /** When a block this download needed last came, or a peer last had one to give. */
  Instant lastUseful() {
    return lastUseful;
  }

  void useful(Instant at) {
    lastUseful = at;
  }

  /** Every block is here and the download was told so. */
  boolean isCompleting() {
    return completing;
  }

  void written(RemotePeer peer, RemotePeer.Call call, int index, BlockStore.WriteResult result,
      int bytes) {
    boolean wanted = book.arrived(peer, call, index);
    switch (result) {
      case STORED -> {
        if (wanted) {
          stats.blockArrived(Duration.between(call.started, clock.instant()));
        }
        picker.received(index);
        blocksReceived++;
        peer.blocksReceived++;
        peer.bytesReceived += bytes;
        peer.rate.record(bytes);
        peer.backoff.reset();
        lastUseful = clock.instant();
        book.withdrawOtherCopies(roster.all(), index, call);
        outcome.stored(index);
        if (picker.isComplete()) {
          completeLater();
          return;
        }
        refills.peer(peer);
      }
      case DUPLICATE -> {
        if (wanted) {
          picker.release(index);
        }
      }
      case CORRUPT -> {
        if (wanted) {
          picker.release(index);
        }
        peer.hashFailures++;
        boolean banned = peer.hashFailures >= RemotePeer.MAX_STRIKES;
        log.warning(() -> peer + " sent a corrupt block " + index + " of " + torrent
            + (banned ? "; banned" : ""));
        if (banned) {
          lifecycle.ban(peer, peer.hashFailures + " blocks failed their hash");
        } else {
          refills.peer(peer);
        }
        refills.everyone();
      }
    }
  }

  /** Block {@code index} came on an older connection of its peer and was stored: it counts. */
  void storedAside(int index) {
    if (!picker.has(index)) {
      picker.received(index);
      blocksReceived++;
      outcome.stored(index);
      if (picker.isComplete()) {
        completeLater();
      }
    }
  }

  void ended(RemotePeer peer, RemotePeer.Call call, Status status,
      Optional<ErrorReason> reason) {
    if (!book.ended(peer, call)) {
      return;
    }
    refills.everyone();
    if (call.cancelled) {
      stats.cancelled.increment();
    } else if (reason.equals(Optional.of(ErrorReason.CHOKED))) {
      // Only a refusal that says "choked" waits for UNCHOKE: one over a limit of the peer's (or
      // gRPC's) never gets one, and backs off below like any other failure.
      stats.choked.increment();
      // Choked: it will say UNCHOKE when it serves us again, unless it already has since.
      peer.chokesUs |= call.unchokesAtStart == peer.unchokes;
    } else if (!status.isOk()) {
      stats.failed.increment();
      lifecycle.fail(peer, "GetBlocks failed: " + status.getCode()
          + reason.map(r -> " (" + r + ")").orElse("")
          + (status.getDescription() == null ? "" : ": " + status.getDescription()));
    } else {
      stats.completed.increment();
    }
  }

  /** Tells the download, once, that every block is here. */
  void completeLater() {
    if (!completing) {
      completing = true;
      outcome.complete();
    }
  }
}
