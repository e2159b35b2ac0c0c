package io.minibit.peer.swarm;

import io.minibit.api.v2.AnnounceEvent;
import io.minibit.core.Backoff;
import io.minibit.peer.session.PeerExchange;
import io.minibit.peer.session.TorrentSession;
import io.opentelemetry.context.Context;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Consumer;

/**
 * One torrent in one swarm, as the {@link Announcer} keeps it: the event still to tell, the
 * next announce, and which tracker took the last one.
 *
 * <p>Not thread-safe: fields are touched only on the announcer thread.
 */
final class TrackedTorrent {
  final TorrentSession session;
  final Consumer<List<PeerExchange.Endpoint>> onPeers;
  final Backoff backoff;
  /** The trace the announces of a download belong to (the root context for a seed). */
  final Context trace;
  AnnounceEvent pending;
  ScheduledFuture<?> next;
  /** The tracker that took the last announce ("" before one did). */
  String announcedTo = "";
  long lastAnnouncedNanos;

  TrackedTorrent(TorrentSession session, Consumer<List<PeerExchange.Endpoint>> onPeers, Backoff backoff,
      Context trace) {
    this.session = session;
    this.onPeers = onPeers;
    this.backoff = backoff;
    this.trace = trace;
  }

  /** Cancels the next announce, if one is scheduled. */
  void cancel() {
    if (next != null) {
      next.cancel(false);
      next = null;
    }
  }
}
