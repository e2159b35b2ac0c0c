package io.minibit.peer.download;

import io.grpc.Status;
import io.minibit.core.Backoff;
import io.minibit.core.Bitfield;
import io.minibit.core.ErrorReason;
import io.minibit.core.Torrent;
import io.minibit.core.Validation;
import io.minibit.core.store.BlockStore;
import io.minibit.peer.policy.Allocation;
import io.minibit.peer.policy.Allocation.PeerSample;
import io.minibit.peer.policy.RarestFirstPicker;
import io.minibit.peer.policy.RequestTiming;
import io.minibit.peer.session.RateMeter;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntPredicate;
import java.util.logging.Logger;

/**
 * Decides what one download asks of which peer, and when. It takes events in (a peer's bitfield,
 * its HAVEs and chokes, blocks written, calls ended, failures, the clock's ticks) and gives
 * requests out through each peer's {@link PeerLink}.
 *
 * <p>The {@link Allocation} says how many blocks each peer may have in flight and the
 * {@link RarestFirstPicker} which ones; they go out as pipelined GetBlocks calls of up to
 * {@link #BLOCKS_PER_CALL} blocks, refilled a whole call at a time. A call that runs late (see
 * {@link RequestTiming}) has its blocks offered to other peers too, the first copy winning; one
 * past its deadline fails its peer. A block that fails its hash costs its sender a strike (three
 * ban it), a protocol violation bans at once, and a failed peer gives its blocks back and is
 * retried with exponential backoff and jitter.
 *
 * <p>Not thread-safe, and needs not be: every method runs on the download's {@link SerialExecutor}
 * (events from links are posted to it). Work follows change: events only mark peers to refill,
 * and one refill runs per burst of events ({@link #flush}), with the allocation computed once.
 */
final class Scheduler {
  private static final Logger log = Logger.getLogger(Scheduler.class.getName());

  static final int BLOCKS_PER_CALL = 16;
  /** A seed is offered this many times the blocks it is to send, to choose from. */
  static final int SEED_CHOICE = 4;
  /** Pings at connection; the first one also sets the connection up, so it is not counted. */
  static final int PINGS_AT_CONNECT = 4;
  static final Duration PING_EVERY = Duration.ofSeconds(10);
  /** Most peers one download keeps, whatever the tracker and the peers hand it. */
  static final int MAX_PEERS = 64;
  /** Most peers one download keeps on one host. */
  static final int MAX_PEERS_PER_HOST = 8;
  /** Failed connections in a row after which a peer is forgotten. */
  static final int FORGET_AFTER_FAILURES = 8;

  /** What the scheduler tells the download it works for; called on the loop. */
  interface Outcome {
    /** Block {@code index} was verified and written. */
    void stored(int index);

    /** Every block is here: the download is to be finished. Called once. */
    void complete();

    /** A block could not be written: the download cannot go on. */
    void writeFailed(IOException failure);

    /**
     * The peer {@code peerId} is no source: it kept failing and was forgotten, it was banned, or
     * its address turned out to be this peer's own. It is not one to name to others.
     */
    void dropped(String peerId);
  }

  /** Sets timers: the daemon's scheduled executor, or a test's hand. */
  interface Timer {
    void after(Duration delay, Runnable task);
  }

  private final Torrent torrent;
  private final String localPeerId;
  private final PeerLink.Factory links;
  private final SerialExecutor loop;
  private final Timer timer;
  private final Clock clock;
  private final Random random;
  private final Allocation allocation;
  private final RarestFirstPicker picker;
  private final Outcome outcome;
  private final FetchStats stats;
  private final DownloadLimiter limiter;
  private final Map<String, RemotePeer> peers = new LinkedHashMap<>();
  /** Peers to refill at the end of the burst. */
  private final Set<RemotePeer> dirty = new LinkedHashSet<>();
  private boolean everyoneDirty;
  /**
   * The allocation's last answer: rates and round trips change slowly, so it is recomputed at
   * each tick and when the set of peers changes, not at every refill.
   */
  private Map<String, Integer> budgets;
  private List<PeerSample> samples;
  /** Thread-safe views for other threads: each source's rate and last published bitfield. */
  private final Map<String, RateMeter> ratesById = new ConcurrentHashMap<>();
  private final Map<String, Bitfield> bitfieldsById = new ConcurrentHashMap<>();
  private boolean closed;
  private boolean completing;
  /** The download cap held requests back, and a refill is set for when it allows more. */
  private boolean throttled;
  private boolean wakeSet;
  private Instant lastUseful;
  private int blocksReceived;

  Scheduler(Torrent torrent, Bitfield have, String localPeerId, PeerLink.Factory links,
      SerialExecutor loop, Timer timer, Clock clock, Random random, Allocation allocation,
      Outcome outcome, FetchStats stats, DownloadLimiter limiter) {
    this.torrent = torrent;
    this.localPeerId = localPeerId;
    this.links = links;
    this.loop = loop;
    this.timer = timer;
    this.clock = clock;
    this.random = random;
    this.allocation = allocation;
    this.outcome = outcome;
    this.stats = stats;
    this.limiter = limiter;
    this.picker = new RarestFirstPicker(have, random);
    this.lastUseful = clock.instant();
  }

  // --- the outside world's questions (on the loop) ------------------------------------------

  boolean isComplete() {
    return picker.isComplete();
  }

  boolean isClosed() {
    return closed;
  }

  Collection<RemotePeer> peers() {
    return peers.values();
  }

  int blocksReceived() {
    return blocksReceived;
  }

  /** Whether the download cap held requests back at the last refill. */
  boolean isThrottled() {
    return throttled;
  }

  int missing() {
    return picker.missing();
  }

  boolean isInteresting(Bitfield has) {
    return picker.isInteresting(has);
  }

  /** Rate received lately from {@code peerId}; any thread may ask. */
  double receivedRate(String peerId) {
    RateMeter rate = ratesById.get(peerId);
    return rate == null ? 0 : rate.bytesPerSecond();
  }

  /** What {@code peerId} held at the last tick or bitfield, or null; any thread may ask. */
  Bitfield bitfieldOf(String peerId) {
    return bitfieldsById.get(peerId);
  }

  /** Whether {@code peerId} is one of this download's sources; any thread may ask. */
  boolean knows(String peerId) {
    return ratesById.containsKey(peerId);
  }

  /** How long no connected peer has been serving a block this download still needs. */
  Duration stalledFor() {
    if (closed || picker.isComplete()) {
      return Duration.ZERO;
    }
    for (RemotePeer peer : peers.values()) {
      if (peer.isServing() && (peer.inFlight > 0 || picker.isInteresting(peer.has))) {
        lastUseful = clock.instant();
        return Duration.ZERO;
      }
    }
    return Duration.between(lastUseful, clock.instant());
  }

  // --- events -------------------------------------------------------------------------------

  /** Finishes at once if every block was already on disk. */
  void start() {
    if (picker.isComplete()) {
      completeLater();
    }
  }

  /**
   * New peers join, up to {@link #MAX_PEERS} in all and {@link #MAX_PEERS_PER_HOST} on one host
   * (so that announced addresses cannot turn this download into a scanner of one machine's
   * ports); known ones are left as they are.
   */
  void addPeers(Collection<PeerAddress> found) {
    if (closed) {
      return;
    }
    for (PeerAddress endpoint : found) {
      if (endpoint.peerId().equals(localPeerId) || peers.containsKey(endpoint.address())) {
        continue;
      }
      if (peers.size() >= MAX_PEERS) {
        break;
      }
      String host = Endpoints.host(endpoint.address());
      if (peers.keySet().stream().filter(known -> Endpoints.host(known).equals(host)).count()
          >= MAX_PEERS_PER_HOST) {
        continue;
      }
      RemotePeer peer = new RemotePeer(endpoint.address(), endpoint.peerId(),
          torrent.blockCount(), Backoff.standard(random), new RateMeter(clock));
      peer.link = links.open(endpoint.address(), new Posting(peer));
      peers.put(endpoint.address(), peer);
      ratesById.put(endpoint.peerId(), peer.rate);
      budgets = null;
      connect(peer);
    }
  }

  private void connect(RemotePeer peer) {
    if (closed || peer.state == RemotePeer.State.BANNED) {
      return;
    }
    peer.state = RemotePeer.State.CONNECTING;
    peer.link.connect(++peer.generation, PINGS_AT_CONNECT);
  }

  private void answered(RemotePeer peer, Duration rtt, String remotePeerId, boolean sample) {
    if (remotePeerId.equals(localPeerId)) {
      peer.state = RemotePeer.State.SELF;
      peer.link.disconnect("this is us");
      outcome.dropped(peer.peerId);
      return;
    }
    if (sample) {
      peer.rtt.add(rtt);
    } else if (peer.state == RemotePeer.State.CONNECTING && !peer.subscribed) {
      peer.subscribed = true;
      peer.link.subscribe(peer.generation);
    }
    peer.lastPing = clock.instant();
  }

  private void bitfield(RemotePeer peer, Bitfield has) {
    if (peer.has != null) {
      picker.removeAvailability(peer.has);
    }
    peer.has = has;
    picker.addAvailability(has);
    peer.state = RemotePeer.State.ACTIVE;
    peer.failuresInARow = 0;
    peer.lastError = "";
    budgets = null;
    bitfieldsById.put(peer.peerId, has.copy());
    dirty.add(peer);
  }

  private void have(RemotePeer peer, int index) {
    if (peer.has == null) {
      return;
    }
    if (index < 0 || index >= torrent.blockCount()) {
      ban(peer, "announced block " + index + ", which is out of range");
      return;
    }
    if (!peer.has.get(index)) {
      peer.has.set(index);
      peer.hasChanged = true;
      picker.addAvailability(index);
      dirty.add(peer);
    }
  }

  private void choked(RemotePeer peer, boolean choked) {
    peer.chokesUs = choked;
    if (!choked) {
      peer.unchokes++;
      dirty.add(peer);
    }
  }

  private void written(RemotePeer peer, RemotePeer.Call call, int index,
      BlockStore.WriteResult result, int bytes) {
    boolean wanted = call.outstanding.remove(index);
    if (wanted) {
      // Against the peer's budget only within its call's limit: it may send more than asked.
      if (call.received++ < call.limit) {
        peer.inFlight--;
      }
    }
    peer.requested.clear(index);
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
        withdrawOtherCopies(index, call);
        outcome.stored(index);
        if (picker.isComplete()) {
          completeLater();
          return;
        }
        dirty.add(peer);
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
          ban(peer, peer.hashFailures + " blocks failed their hash");
        } else {
          dirty.add(peer);
        }
        everyoneDirty = true;
      }
    }
  }

  /** Block {@code index} arrived: other requests for it are withdrawn, and lone ones cancelled. */
  private void withdrawOtherCopies(int index, RemotePeer.Call winner) {
    for (RemotePeer other : peers.values()) {
      for (RemotePeer.Call call : other.calls) {
        int expected = call.expected();
        if (call != winner && call.outstanding.remove(index)) {
          picker.release(index);
          unrequest(other, expected - call.expected());
          other.requested.clear(index);
          if (call.expected() == 0) {
            call.cancelled = true;
            other.link.cancel(call, "another peer delivered the block first");
          }
        }
      }
    }
  }

  private void ended(RemotePeer peer, RemotePeer.Call call, Status status,
      Optional<ErrorReason> reason) {
    if (!peer.calls.remove(call)) {
      return;
    }
    unrequest(peer, call.expected());
    for (int index : call.outstanding) {
      picker.release(index);
      peer.requested.clear(index);
    }
    call.outstanding.clear();
    everyoneDirty = true;
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
      fail(peer, "GetBlocks failed: " + status.getCode()
          + reason.map(r -> " (" + r + ")").orElse("")
          + (status.getDescription() == null ? "" : ": " + status.getDescription()));
    } else {
      stats.completed.increment();
    }
  }

  /** Every tick: offers late calls' blocks to other peers, renews RTTs now and then. */
  void tick() {
    if (closed) {
      return;
    }
    budgets = null;
    Instant now = clock.instant();
    for (RemotePeer peer : peers.values()) {
      if (!peer.isActive()) {
        continue;
      }
      Duration lateAfter = RequestTiming.lateAfter(peer.rate.bytesPerSecond(),
          (long) peer.inFlight * torrent.blockSize(), peer.rtt.millis());
      for (RemotePeer.Call call : peer.calls) {
        Duration age = Duration.between(call.started, now);
        if (!call.late && !call.outstanding.isEmpty() && age.compareTo(lateAfter) > 0) {
          call.late = true;
          everyoneDirty = true;
          call.outstanding.forEach(picker::markLate);
          peer.lastError = String.format("slow: %d blocks late after %.1f s",
              call.outstanding.size(), age.toMillis() / 1000.0);
        }
      }
      if (Duration.between(peer.lastPing, now).compareTo(PING_EVERY) > 0) {
        peer.lastPing = now;
        peer.link.ping(peer.generation);
      }
      if (peer.has != null && peer.hasChanged) {
        peer.hasChanged = false;
        bitfieldsById.put(peer.peerId, peer.has.copy());
      }
    }
  }

  // --- refilling ----------------------------------------------------------------------------

  /** After each burst of events: refills the peers the events touched, once each. */
  void flush() {
    if (closed || completing || (dirty.isEmpty() && !everyoneDirty)) {
      dirty.clear();
      return;
    }
    if (budgets == null) {
      samples = samples();
      budgets = allocation.budgets(samples, torrent.blockSize());
    }
    List<RemotePeer> toFill = new ArrayList<>(everyoneDirty ? peers.values() : dirty);
    dirty.clear();
    everyoneDirty = false;
    throttled = false;
    for (RemotePeer peer : toFill) {
      fill(peer, budgets.getOrDefault(peer.address, 1), samples);
    }
    if (throttled && !wakeSet) {
      // Every peer is refilled once the cap allows again, in the order they joined: a peer
      // whose budget is full takes nothing, so each gets its share in turn.
      wakeSet = true;
      timer.after(limiter.untilAllowed(), () -> loop.execute(() -> {
        wakeSet = false;
        everyoneDirty = true;
      }));
    }
  }

  /** {@code blocks} the peer was asked for will not come: off its pipeline and the cap. */
  private void unrequest(RemotePeer peer, int blocks) {
    peer.inFlight -= blocks;
    limiter.refund((long) blocks * torrent.blockSize());
  }

  /** Starts as many GetBlocks calls on {@code peer} as its share of the pipeline allows. */
  private void fill(RemotePeer peer, int budget, List<PeerSample> samples) {
    if (!peer.isServing()) {
      return;
    }
    IntPredicate allowed = allocation.allowedBlocks(peer.address, samples);
    // Refill by whole calls: a call per block would cost a round of headers, a deadline
    // timer and a picker scan for every block, which caps a fast pair's throughput.
    int batch = Math.min(BLOCKS_PER_CALL, Math.max(1, budget / 2));
    if (peer.inFlight > 0 && budget - peer.inFlight < batch) {
      return;
    }
    List<RemotePeer.Call> calls = new ArrayList<>();
    while (peer.inFlight < budget) {
      int room = Math.min(BLOCKS_PER_CALL, budget - peer.inFlight);
      int affordable = limiter.allowance(torrent.blockSize());
      if (affordable < room) {
        throttled = true;
        room = affordable;
        if (room == 0) {
          break;
        }
      }
      List<Integer> blocks = picker.pick(peer.has, room, peer.requested, allowed);
      if (blocks.isEmpty()) {
        break;
      }
      int before = peer.inFlight;
      if (peer.has.isComplete()) {
        blocks = withSeedsChoice(peer, blocks, room, allowed);
      }
      // A second copy of a block goes in a call of its own, so it can be cancelled alone
      // when the first copy arrives.
      List<Integer> firstCopies = new ArrayList<>();
      for (int index : blocks) {
        peer.requested.set(index);
        if (picker.requests(index) > 1) {
          calls.add(newCall(peer, List.of(index), 1));
          peer.inFlight++;
          room--;
        } else {
          firstCopies.add(index);
        }
      }
      if (!firstCopies.isEmpty()) {
        int limit = Math.min(firstCopies.size(), Math.max(1, room));
        calls.add(newCall(peer, firstCopies, limit));
        peer.inFlight += limit;
      }
      limiter.charge((long) (peer.inFlight - before) * torrent.blockSize());
    }
    if (calls.isEmpty()) {
      return;
    }
    Duration deadline = RequestTiming.deadline(peer.rate.bytesPerSecond(),
        (long) peer.inFlight * torrent.blockSize(), peer.rtt.millis());
    for (RemotePeer.Call call : calls) {
      peer.link.fetch(peer.generation, call, deadline);
    }
  }

  /**
   * {@code blocks} and, if there are, more blocks only the seed {@code peer} holds, up to
   * {@link #SEED_CHOICE} times {@code room}: offered more than it is to send, a seed sends those
   * it has sent least, as it knows what it gave the others, which we learn only once they have
   * it. Blocks other peers hold are not offered as extras: they would wait on the seed's choice
   * while another peer could send them.
   */
  private List<Integer> withSeedsChoice(RemotePeer peer, List<Integer> blocks, int room,
      IntPredicate allowed) {
    int extra = Math.min(Validation.MAX_BLOCKS_PER_CALL, SEED_CHOICE * room) - blocks.size();
    if (extra <= 0 || blocks.size() < room) {
      return blocks;
    }
    Bitfield skip = peer.requested.copy();
    blocks.forEach(skip::set);
    List<Integer> offered = new ArrayList<>(blocks);
    for (int index : picker.pick(peer.has, extra, skip, allowed)) {
      if (picker.availability(index) <= 1 && picker.requests(index) == 1) {
        offered.add(index);
      } else {
        picker.release(index);
      }
    }
    return offered;
  }

  /**
   * A call for {@code limit} of {@code blocks} (the peer chooses which if that is fewer),
   * registered with its peer at once, so that a reset releases its blocks.
   */
  private RemotePeer.Call newCall(RemotePeer peer, List<Integer> blocks, int limit) {
    RemotePeer.Call call = new RemotePeer.Call(blocks, limit, clock.instant(), peer.unchokes);
    peer.calls.add(call);
    return call;
  }

  /** What the allocation needs to know of the peers we are connected or connecting to. */
  private List<PeerSample> samples() {
    List<PeerSample> samples = new ArrayList<>(peers.size());
    for (RemotePeer peer : peers.values()) {
      if (peer.state == RemotePeer.State.ACTIVE || peer.state == RemotePeer.State.CONNECTING) {
        samples.add(new PeerSample(peer.address, peer.rtt.millis(), peer.rate.bytesPerSecond(),
            peer.bytesReceived));
      }
    }
    return samples;
  }

  // --- failures -----------------------------------------------------------------------------

  /**
   * Drops the peer's connection, gives back its blocks and schedules a reconnection; forgets a
   * peer that failed {@link #FORGET_AFTER_FAILURES} times in a row.
   */
  private void fail(RemotePeer peer, String reason) {
    if (!reset(peer)) {
      return;
    }
    peer.lastError = reason;
    if (++peer.failuresInARow >= FORGET_AFTER_FAILURES) {
      forget(peer);
      return;
    }
    peer.state = RemotePeer.State.BACKING_OFF;
    Duration delay = peer.backoff.nextDelay();
    log.info(() -> String.format("%s: peer %s %s; retrying in %d ms", torrent, peer, reason,
        delay.toMillis()));
    timer.after(delay, () -> loop.execute(() -> connect(peer)));
  }

  /**
   * Drops a peer that keeps failing, and closes its link: it no longer takes a place among the
   * peers, and the tracker or another peer may hand it to us again, as a new one.
   */
  private void forget(RemotePeer peer) {
    peers.remove(peer.address);
    ratesById.remove(peer.peerId);
    bitfieldsById.remove(peer.peerId);
    peer.state = RemotePeer.State.CLOSED;
    peer.link.close();
    budgets = null;
    outcome.dropped(peer.peerId);
    log.info(() -> String.format("%s: forgetting peer %s after %d failures in a row (%s)",
        torrent, peer, peer.failuresInARow, peer.lastError));
  }

  private void ban(RemotePeer peer, String reason) {
    reset(peer);
    peer.lastError = reason;
    peer.state = RemotePeer.State.BANNED;
    outcome.dropped(peer.peerId);
    log.warning(() -> torrent + ": banned peer " + peer + ": " + reason);
  }

  /** Cancels the peer's streams and releases its blocks; false if it was already down. */
  private boolean reset(RemotePeer peer) {
    if (closed || peer.state == RemotePeer.State.BANNED || peer.state == RemotePeer.State.CLOSED
        || peer.state == RemotePeer.State.BACKING_OFF) {
      return false;
    }
    peer.generation++;
    peer.subscribed = false;
    peer.link.disconnect("peer reset");
    for (RemotePeer.Call call : peer.calls) {
      call.outstanding.forEach(picker::release);
      call.outstanding.clear();
    }
    peer.calls.clear();
    unrequest(peer, peer.inFlight);
    peer.chokesUs = true;
    peer.requested = new Bitfield(torrent.blockCount());
    if (peer.has != null) {
      picker.removeAvailability(peer.has);
      peer.has = null;
    }
    everyoneDirty = true;
    budgets = null;
    return true;
  }

  // --- the end ------------------------------------------------------------------------------

  private void completeLater() {
    if (!completing) {
      completing = true;
      outcome.complete();
    }
  }

  /** Stops fetching and drops every peer connection; the peers' figures stay for display. */
  void close() {
    if (closed) {
      return;
    }
    for (RemotePeer peer : peers.values()) {
      Bitfield lastKnown = peer.has;
      reset(peer);
      peer.has = lastKnown;
      if (peer.state != RemotePeer.State.BANNED && peer.state != RemotePeer.State.SELF) {
        peer.state = RemotePeer.State.CLOSED;
      }
      peer.link.close();
    }
    closed = true;
  }

  /** A peer found by the tracker or by another peer. */
  record PeerAddress(String address, String peerId) {}

  /** Puts a link's events for one peer on the loop, dropping those of an older connection. */
  private final class Posting implements PeerLink.Events {
    private final RemotePeer peer;

    Posting(RemotePeer peer) {
      this.peer = peer;
    }

    private void post(int generation, Runnable event) {
      loop.execute(() -> {
        if (peer.generation == generation && !closed) {
          event.run();
        }
      });
    }

    @Override
    public void answered(int generation, Duration rtt, String remotePeerId, boolean sample) {
      post(generation, () -> Scheduler.this.answered(peer, rtt, remotePeerId, sample));
    }

    @Override
    public void bitfield(int generation, Bitfield has) {
      post(generation, () -> Scheduler.this.bitfield(peer, has));
    }

    @Override
    public void have(int generation, int index) {
      post(generation, () -> Scheduler.this.have(peer, index));
    }

    @Override
    public void choked(int generation, boolean choked) {
      post(generation, () -> Scheduler.this.choked(peer, choked));
    }

    @Override
    public void written(int generation, RemotePeer.Call call, int index,
        BlockStore.WriteResult result, int bytes) {
      loop.execute(() -> {
        if (!closed) {
          // Even from an older connection a stored block counts: it is on disk.
          if (peer.generation == generation) {
            Scheduler.this.written(peer, call, index, result, bytes);
          } else if (result == BlockStore.WriteResult.STORED && !picker.has(index)) {
            picker.received(index);
            blocksReceived++;
            outcome.stored(index);
            if (picker.isComplete()) {
              completeLater();
            }
          }
        }
      });
    }

    @Override
    public void ended(int generation, RemotePeer.Call call, Status status,
        Optional<ErrorReason> reason) {
      post(generation, () -> Scheduler.this.ended(peer, call, status, reason));
    }

    @Override
    public void failed(int generation, String reason) {
      post(generation, () -> fail(peer, reason));
    }

    @Override
    public void violated(int generation, String reason) {
      post(generation, () -> {
        ban(peer, reason);
        everyoneDirty = true;
      });
    }

    @Override
    public void writeFailed(IOException failure) {
      loop.execute(() -> {
        if (!closed) {
          outcome.writeFailed(failure);
        }
      });
    }
  }
}
