package io.minibit.peer.swarm;

import io.minibit.api.v2.AnnounceEvent;
import io.minibit.api.v2.AnnounceRequest;
import io.minibit.api.v2.AnnounceResponse;
import io.minibit.api.v2.PeerEndpoint;
import io.minibit.core.Backoff;
import io.minibit.core.DaemonThreads;
import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.peer.session.PeerExchange;
import io.minibit.peer.session.TorrentSession;
import io.opentelemetry.context.Context;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Keeps this peer in the swarms of its torrents. Each torrent is announced when it starts,
 * completes and stops, and again on the tracker's interval (every 5 s at most while it
 * downloads, so that peers that join later are found soon). Every announce keeps the peer's
 * tracker session alive; a heartbeat goes out only when none has for a heartbeat interval, so a
 * tracker whose announce interval is not longer than its heartbeat interval hears one call per
 * torrent per interval and nothing more. A tracker that cannot be reached is retried with
 * exponential backoff and jitter, so one that comes back is found again; one that forgot this
 * peer (it restarted: its health stream ended, a heartbeat is NOT_FOUND, or an announce opens a
 * new session) gets every torrent announced again, and one that forgot a torrent this peer
 * seeds gets its manifest published again. With several trackers, the calls move from one to
 * the next when one cannot be reached ({@link TrackerClient}); each keeps its own sessions and
 * swarms, so on every move the watch follows and every torrent is announced to the new tracker
 * at once, and a torrent this peer seeds that it has no manifest of (NOT_FOUND) is published to
 * it.
 *
 * <p>This class is the announce loop of each torrent; {@link TrackerSessionKeeper} keeps the
 * session and its heartbeat, and {@link Reannouncer} announces every torrent again when the
 * tracker changed or lost the session.
 *
 * <p>Thread-safe. Tracker calls run one at a time on the announcer's own thread, so the session
 * token of the first announce is in hand before the next one goes out.
 */
public final class Announcer implements AutoCloseable {
  private static final Logger log = Logger.getLogger(Announcer.class.getName());
  /** Longest wait between two announces of a torrent still downloading. */
  static final Duration DOWNLOADING_INTERVAL = Duration.ofSeconds(5);
  /** Shortest wait between two announces of a torrent that {@link #peerJoined} asks for. */
  static final Duration SOONEST_REANNOUNCE = Duration.ofSeconds(1);
  /** Longest wait between two attempts to watch a tracker that went away. */
  static final Duration WATCH_RETRY_MAX = Duration.ofSeconds(10);

  private final TrackerClient tracker;
  private final String peerId;
  private final String advertiseHost;
  private final int port;
  private final Random random;
  private final ScheduledExecutorService thread;
  private final Map<InfoHash, TrackedTorrent> tracked = new ConcurrentHashMap<>();
  private final TrackerSessionKeeper trackerSession;
  private final TrackerWatch watch;
  private final Reannouncer again;

  public Announcer(TrackerClient tracker, String peerId, String advertiseHost, int port,
      Random random) {
    this.tracker = tracker;
    this.peerId = peerId;
    this.advertiseHost = advertiseHost;
    this.port = port;
    this.random = random;
    Backoff heartbeatBackoff = Backoff.standard(random);
    this.thread = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("announcer"));
    this.again = new Reannouncer(tracked.values(), thread, this::announce);
    this.trackerSession = new TrackerSessionKeeper(tracker, peerId, thread, heartbeatBackoff,
        () -> !tracked.isEmpty(), again::all);
    this.watch = new TrackerWatch(tracker, thread,
        new Backoff(Duration.ofSeconds(1), WATCH_RETRY_MAX, 2.0, random),
        trackerSession::trackerBack);
    tracker.onSwitch(moved -> run(this::trackerSwitched));
  }

  /** Joins the swarm of {@code session}; the peers the tracker hands out go to {@code onPeers}. */
  public void add(TorrentSession session, Consumer<List<PeerExchange.Endpoint>> onPeers) {
    add(session, onPeers, Context.root());
  }

  /**
   * As {@link #add(TorrentSession, Consumer)}; the announces made while it downloads (and the
   * one that says it completed) are spans of {@code trace}.
   */
  public void add(TorrentSession session, Consumer<List<PeerExchange.Endpoint>> onPeers,
      Context trace) {
    TrackedTorrent t = new TrackedTorrent(session, onPeers, Backoff.standard(random), trace);
    t.pending = AnnounceEvent.ANNOUNCE_EVENT_STARTED;
    tracked.put(session.torrent().infoHash(), t);
    run(() -> announce(t));
  }

  /** Tells the tracker that {@code session} now holds every block. */
  public void completed(TorrentSession session) {
    TrackedTorrent t = tracked.get(session.torrent().infoHash());
    if (t != null) {
      run(() -> {
        t.pending = AnnounceEvent.ANNOUNCE_EVENT_COMPLETED;
        announce(t);
      });
    }
  }

  /**
   * A peer the download of {@code infoHash} does not know has subscribed to it: it joined the
   * swarm after our last announce. Announces again now (at most once a second) rather than at
   * the next interval, so that the newcomer is a source for us too at once, not only we for it.
   */
  public void peerJoined(InfoHash infoHash) {
    TrackedTorrent t = tracked.get(infoHash);
    if (t == null) {
      return;
    }
    run(() -> {
      if (t.session.isSeeding() || t.next == null || t.pending != null) {
        return; // nothing to learn, an announce under way, or a failing tracker being retried
      }
      long wait = Math.max(0,
          t.lastAnnouncedNanos + SOONEST_REANNOUNCE.toNanos() - System.nanoTime());
      if (t.next.getDelay(TimeUnit.NANOSECONDS) > wait) {
        t.cancel();
        t.next = thread.schedule(() -> announce(t), wait, TimeUnit.NANOSECONDS);
      }
    });
  }

  /** Leaves the swarm of {@code infoHash} (best effort: a tracker that is down expires us). */
  public void remove(InfoHash infoHash) {
    TrackedTorrent t = tracked.remove(infoHash);
    if (t != null) {
      run(() -> {
        t.cancel();
        stopped(t);
      });
    }
  }

  /** Runs {@code task} on the announcer thread; after {@link #close} there is nothing to do. */
  private void run(Runnable task) {
    try {
      thread.execute(task);
    } catch (RejectedExecutionException closed) {
      log.fine(() -> "announcer closed; dropped a late request");
    }
  }

  // --- on the announcer thread -------------------------------------------------------------

  private void announce(TrackedTorrent t) {
    if (tracked.get(t.session.torrent().infoHash()) != t) {
      return; // removed meanwhile
    }
    t.cancel();
    AnnounceEvent event = t.pending == null ? AnnounceEvent.ANNOUNCE_EVENT_UNSPECIFIED : t.pending;
    boolean inTrace = !t.session.isSeeding() || event == AnnounceEvent.ANNOUNCE_EVENT_COMPLETED;
    try {
      AnnounceResponse response = (inTrace ? t.trace : Context.root())
          .wrapSupplier(() -> tracker.announce(request(t.session, event))).get();
      // A new token for a session we held: the tracker had lost it (restarted, or expired us).
      String from = tracker.inUse();
      boolean forgotten = trackerSession.announced(from, response);
      t.pending = null;
      t.announcedTo = from;
      t.lastAnnouncedNanos = System.nanoTime();
      t.backoff.reset();
      t.onPeers.accept(endpoints(response.getPeersList()));
      // A download asks again sooner: the peers that joined after it are its best sources.
      long interval = t.session.isSeeding() ? Math.max(1000, response.getIntervalMs())
          : Math.max(1000, Math.min(DOWNLOADING_INTERVAL.toMillis(), response.getIntervalMs()));
      t.next = thread.schedule(() -> announce(t), interval, TimeUnit.MILLISECONDS);
      // This announce was a heartbeat too. Armed after the next announce, the heartbeat comes
      // due after it when both wait as long, and that announce puts it off again.
      trackerSession.refreshed();
      watch.start();
      if (forgotten) {
        log.info("the tracker had lost this peer's session; announcing every torrent again");
        again.allBut(t);
      }
    } catch (MinibitException e) {
      retryLater(t, event, e);
    } catch (RuntimeException e) {
      retryLater(t, event, new MinibitException(ErrorCode.INTERNAL, e.toString(), e));
    }
  }

  private void retryLater(TrackedTorrent t, AnnounceEvent event, MinibitException e) {
    if (e.code() == ErrorCode.PERMISSION_DENIED) {
      trackerSession.drop(); // our session is gone or was taken over: open a new one
    } else if (e.code() == ErrorCode.NOT_FOUND && t.session.isSeeding()) {
      republish(t);
    }
    if (t.pending == null) {
      t.pending = event;
    }
    Duration delay = t.backoff.nextDelay();
    log.warning(() -> String.format("announce of %s failed (%s); retrying in %d ms",
        t.session, e.getMessage(), delay.toMillis()));
    t.next = thread.schedule(() -> announce(t), delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void republish(TrackedTorrent t) {
    try {
      tracker.publish(t.session.torrent());
      log.info(() -> "the tracker had lost " + t.session + "; published it again");
    } catch (MinibitException e) {
      log.fine(() -> "cannot publish " + t.session + " again: " + e.getMessage());
    }
  }

  private void stopped(TrackedTorrent t) {
    if (!trackerSession.open()) {
      return;
    }
    try {
      tracker.announce(request(t.session, AnnounceEvent.ANNOUNCE_EVENT_STOPPED));
    } catch (MinibitException e) {
      log.fine(() -> "could not announce STOPPED for " + t.session + ": " + e.getMessage());
    }
  }

  private AnnounceRequest request(TorrentSession session, AnnounceEvent event) {
    AnnounceRequest.Builder request = AnnounceRequest.newBuilder();
    if (!session.isSeeding()) {
      request.setHave(session.store().bitfield().toProto())
          .setDownloadRate(session.downloadRate());
    }
    return request
        .setInfohash(session.torrent().infoHash().hex())
        .setPeerId(peerId)
        .setHost(advertiseHost)
        .setPort(port)
        .setEvent(event)
        .setHaveCount(session.store().haveCount())
        .setComplete(session.isSeeding())
        .setUploaded(session.uploadedBytes())
        .setDownloaded(session.downloadedBytes())
        .build();
  }

  /** Calls moved to another tracker: watch it instead, and join there every swarm. */
  private void trackerSwitched() {
    watch.follow();
    again.movedTo(tracker.inUse());
  }

  /** Announces STOPPED for every torrent (briefly; a tracker that is down expires us anyway). */
  @Override
  public void close() {
    try {
      thread.submit(() -> {
        watch.stop();
        tracked.values().forEach(t -> {
          t.cancel();
          stopped(t);
        });
        tracked.clear();
      }).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.fine(() -> "announcer shutdown: " + e);
    }
    thread.shutdownNow();
  }

  /** The peers a tracker handed out, as the session and the download dial them. */
  static List<PeerExchange.Endpoint> endpoints(List<PeerEndpoint> peers) {
    return peers.stream().map(peer -> new PeerExchange.Endpoint(peer.getPeerId(),
        peer.getHost(), peer.getPort(), peer.getComplete())).toList();
  }
}
