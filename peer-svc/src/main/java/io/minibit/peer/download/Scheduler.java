package io.minibit.peer.download;

import io.minibit.core.Backoff;
import io.minibit.core.Bitfield;
import io.minibit.core.Torrent;
import io.minibit.peer.policy.Allocation;
import io.minibit.peer.policy.RarestFirstPicker;
import io.minibit.peer.policy.RequestTiming;
import io.minibit.peer.session.RateMeter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Random;

/**
 * Decides what one download asks of which peer, and when. It takes events in (a peer's bitfield,
 * its HAVEs and chokes, blocks written, calls ended, failures, the clock's ticks) and gives
 * requests out through each peer's {@link PeerLink}.
 *
 * <p>It wires its parts and drives them: the {@link PeerRoster} of peers; their
 * {@link PeerLifecycle} (connections, failures, backoff, bans); {@link PeerAnnouncements} (what a
 * peer says of itself) and {@link Arrivals} (blocks and calls' ends), which a link's events reach
 * through {@link LoopedEvents}; the {@link InFlightBook} of what is asked of whom; and the
 * {@link RequestFiller} that asks. A call that runs late (see {@link RequestTiming}) has its
 * blocks offered to other peers too, the first copy winning; one past its deadline fails its
 * peer.
 *
 * <p>Not thread-safe, and needs not be: every method runs on the download's {@link SerialExecutor}
 * (events from links are posted to it by {@link LoopedEvents}). Work follows change: events only
 * mark peers to refill, and one refill runs per burst of events ({@link #flush}), with the
 * allocation computed once.
 */
final class Scheduler {
  static final Duration PING_EVERY = Duration.ofSeconds(10);

  private final Torrent torrent;
  private final PeerLink.Factory links;
  private final SerialExecutor loop;
  private final LoopTimer timer;
  private final Clock clock;
  private final Random random;
  private final RarestFirstPicker picker;
  private final DownloadOutcome outcome;
  private final DownloadLimiter limiter;
  private final PeerRoster roster;
  private final Refills refills = new Refills();
  private final InFlightBook book;
  private final RequestFiller filler;
  private final PeerLifecycle lifecycle;
  private final PeerAnnouncements announcements;
  private final Arrivals arrivals;
  /** A refill is set for when the download cap allows more. */
  private boolean wakeSet;
  /**
   * {@link #findStall} at the last tick, null once closed: written on the loop, read by any
   * thread, which reads nothing else of the loop's.
   */
  private volatile Instant stalledSince;

  Scheduler(Torrent torrent, Bitfield have, String localPeerId, PeerLink.Factory links,
      SerialExecutor loop, LoopTimer timer, Clock clock, Random random, Allocation allocation,
      DownloadOutcome outcome, FetchStats stats, DownloadLimiter limiter) {
    this.torrent = torrent;
    this.links = links;
    this.loop = loop;
    this.timer = timer;
    this.clock = clock;
    this.random = random;
    this.outcome = outcome;
    this.limiter = limiter;
    this.picker = RarestFirstPicker.forDownload(have, random, torrent.blockSize());
    this.roster = new PeerRoster(localPeerId);
    this.book = new InFlightBook(picker, limiter, clock, torrent.blockSize());
    this.filler = new RequestFiller(picker, allocation, limiter, book, torrent.blockSize());
    this.lifecycle = new PeerLifecycle(torrent, roster, book, picker, refills, timer, loop,
        outcome);
    this.announcements = new PeerAnnouncements(localPeerId, torrent.blockCount(), picker, roster,
        lifecycle, refills, clock);
    this.arrivals = new Arrivals(torrent, picker, roster, book, lifecycle, refills, outcome,
        stats, clock);
  }

  // --- the outside world's questions (on the loop) ------------------------------------------

  boolean isComplete() {
    return picker.isComplete();
  }

  boolean isClosed() {
    return lifecycle.isClosed();
  }

  Collection<RemotePeer> peers() {
    return roster.all();
  }

  int blocksReceived() {
    return arrivals.blocksReceived();
  }

  /** Whether the download cap held requests back at the last refill. */
  boolean isThrottled() {
    return filler.isThrottled();
  }

  int missing() {
    return picker.missing();
  }

  boolean isInteresting(Bitfield has) {
    return picker.isInteresting(has);
  }

  /** Rate received lately from {@code peerId}; any thread may ask. */
  double receivedRate(String peerId) {
    return roster.receivedRate(peerId);
  }

  /** What {@code peerId} held at the last tick or bitfield, or null; any thread may ask. */
  Bitfield bitfieldOf(String peerId) {
    return roster.bitfieldOf(peerId);
  }

  /** Whether {@code peerId} is one of this download's sources; any thread may ask. */
  boolean knows(String peerId) {
    return roster.knows(peerId);
  }

  /**
   * How long no connected peer has been serving a block this download still needs, as of the
   * last tick; any thread may ask (a download's progress stream asks twice a second, and asking
   * the loop each time was a hop to it and back).
   */
  Duration stalledFor() {
    Instant since = stalledSince;
    return since == null ? Duration.ZERO : Duration.between(since, clock.instant());
  }

  /** Since when no connected peer has served a needed block; null while one does. On the loop. */
  private Instant findStall(Instant now) {
    if (picker.isComplete()) {
      return null;
    }
    for (RemotePeer peer : roster.all()) {
      if (peer.isServing() && (peer.inFlight > 0 || picker.isInteresting(peer.has))) {
        arrivals.useful(now);
        return null;
      }
    }
    return arrivals.lastUseful();
  }

  // --- events -------------------------------------------------------------------------------

  /** Finishes at once if every block was already on disk. */
  void start() {
    if (picker.isComplete()) {
      arrivals.completeLater();
    }
  }

  /** New peers join, as far as the {@link PeerRoster} admits; known ones are left as they are. */
  void addPeers(Collection<PeerAddress> found) {
    if (isClosed()) {
      return;
    }
    for (PeerAddress endpoint : found) {
      PeerRoster.Admission admission = roster.admission(endpoint);
      if (admission == PeerRoster.Admission.FULL) {
        break;
      }
      if (admission == PeerRoster.Admission.SKIP) {
        continue;
      }
      RemotePeer peer = new RemotePeer(endpoint.address(), endpoint.peerId(),
          torrent.blockCount(), Backoff.standard(random), new RateMeter(clock));
      peer.link = links.open(endpoint.address(), new LoopedEvents(loop, peer, lifecycle,
          announcements, arrivals, outcome));
      roster.add(peer);
      refills.reallocate();
      lifecycle.connect(peer);
    }
  }

  /** Every tick: offers late calls' blocks to other peers, renews RTTs now and then. */
  void tick() {
    if (isClosed()) {
      return;
    }
    refills.reallocate();
    Instant now = clock.instant();
    stalledSince = findStall(now);
    for (RemotePeer peer : roster.all()) {
      if (!peer.isActive()) {
        continue;
      }
      if (book.markLate(peer, now)) {
        refills.everyone();
      }
      if (Duration.between(peer.lastPing, now).compareTo(PING_EVERY) > 0) {
        peer.lastPing = now;
        peer.link.ping(peer.generation);
      }
      if (peer.has != null && peer.hasChanged) {
        peer.hasChanged = false;
        roster.publish(peer);
      }
    }
  }

  /** After each burst of events: refills the peers the events touched, once each. */
  void flush() {
    if (isClosed() || arrivals.isCompleting() || !refills.pending()) {
      refills.dropPeers();
      return;
    }
    if (refills.takeReallocate()) {
      filler.allocate(roster.all());
    }
    filler.startRound();
    for (RemotePeer peer : refills.take(roster.all())) {
      filler.fill(peer);
    }
    if (filler.isThrottled() && !wakeSet) {
      // Every peer is refilled once the cap allows again, in the order they joined: a peer
      // whose budget is full takes nothing, so each gets its share in turn.
      wakeSet = true;
      timer.after(limiter.untilAllowed(), () -> loop.execute(() -> {
        wakeSet = false;
        refills.everyone();
      }));
    }
  }

  // --- the end ------------------------------------------------------------------------------

  /** Stops fetching and drops every peer connection; the peers' figures stay for display. */
  void close() {
    lifecycle.close();
    stalledSince = null;
  }
}
