package io.minibit.peer.swarm;

import io.minibit.api.v2.AnnounceEvent;
import java.util.Collection;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Announces the {@link Announcer}'s torrents again, now, when the tracker that holds their
 * swarms changed: the calls moved to another tracker, or the tracker lost this peer's session
 * (and with it every swarm this peer was in). Each goes as STARTED, unless an event not yet told
 * (COMPLETED, say) is due.
 *
 * <p>Not thread-safe: runs only on the announcer thread.
 */
final class Reannouncer {
  private final Collection<TrackedTorrent> tracked;
  private final ScheduledExecutorService thread;
  private final Consumer<TrackedTorrent> announce;

  /**
   * @param tracked the announcer's torrents, a live view
   * @param thread the announcer's thread, where announces are scheduled
   * @param announce announces one torrent, on that thread
   */
  Reannouncer(Collection<TrackedTorrent> tracked, ScheduledExecutorService thread,
      Consumer<TrackedTorrent> announce) {
    this.tracked = tracked;
    this.thread = thread;
    this.announce = announce;
  }

  /**
   * Calls moved to the tracker at {@code now}, whose swarms this peer is not in: every torrent
   * last announced elsewhere is announced there (one whose announce is queued already goes
   * there anyway).
   */
  void movedTo(String now) {
    for (TrackedTorrent t : tracked) {
      if (t.next != null && !now.equals(t.announcedTo)) {
        t.cancel();
        if (t.pending == null) {
          t.pending = AnnounceEvent.ANNOUNCE_EVENT_STARTED;
        }
        t.next = thread.schedule(() -> announce.accept(t), 0, TimeUnit.MILLISECONDS);
      }
    }
  }

  /** The tracker no longer knows this peer: every torrent is announced again, in turn. */
  void all() {
    for (TrackedTorrent t : tracked) {
      t.pending = AnnounceEvent.ANNOUNCE_EVENT_STARTED;
      announce.accept(t);
    }
  }

  /**
   * Every torrent but {@code done} is announced again: the tracker lost the swarms they were
   * in. One whose first announce is still to come, or being retried, needs nothing more.
   */
  void allBut(TrackedTorrent done) {
    for (TrackedTorrent t : tracked) {
      if (t != done && t.pending == null && t.next != null) {
        t.cancel();
        t.pending = AnnounceEvent.ANNOUNCE_EVENT_STARTED;
        t.next = thread.schedule(() -> announce.accept(t), 0, TimeUnit.MILLISECONDS);
      }
    }
  }
}
