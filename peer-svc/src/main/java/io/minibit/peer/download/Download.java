package io.minibit.peer.download;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v1.Block;
import io.minibit.api.v1.GetBlocksRequest;
import io.minibit.api.v1.PeerEndpoint;
import io.minibit.api.v1.PeerEvent;
import io.minibit.api.v1.PeerGrpc;
import io.minibit.api.v1.PingRequest;
import io.minibit.api.v1.PingResponse;
import io.minibit.api.v1.SubscribeRequest;
import io.minibit.api.v1.TransferPeer;
import io.minibit.core.Backoff;
import io.minibit.core.Bitfield;
import io.minibit.core.ErrorCode;
import io.minibit.core.MinibitException;
import io.minibit.core.SwarmHealthCalculator;
import io.minibit.core.Torrent;
import io.minibit.core.store.BlockStore;
import io.minibit.peer.policy.Allocation;
import io.minibit.peer.policy.Allocation.PeerSample;
import io.minibit.peer.policy.RarestFirstPicker;
import io.minibit.peer.server.PeerGrpcService;
import io.minibit.peer.session.RateMeter;
import io.minibit.peer.session.TorrentSession;
import io.minibit.peer.telemetry.DownloadTrace;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;
import java.util.logging.Logger;

/**
 * Fetches the missing blocks of one torrent from every peer that has them, at once.
 *
 * <p>Each peer is pinged (its RTT is the median of a few pings, renewed as the download runs),
 * then subscribed to: its bitfield, HAVE events, CHOKE and UNCHOKE. The {@link Allocation} says
 * how many blocks each peer may have in flight (by default, far peers fewer, then whoever proves
 * faster more) and the {@link RarestFirstPicker} which ones; they go out as pipelined GetBlocks
 * streams of up to {@link #BLOCKS_PER_CALL} blocks, refilled a whole call at a time (half the
 * peer's budget, or a full call), each with a deadline that follows the peer's measured speed. A call that runs late has its blocks offered to other peers too (the
 * first copy wins and the other request is cancelled); one past its deadline fails its peer.
 *
 * <p>Every block is verified before it is written; one that fails costs its sender a strike
 * (three ban it for this torrent), a block that was not asked for bans at once. A peer that
 * fails gives its blocks back to the others and is retried with exponential backoff and
 * jitter; a peer that chokes us is left alone until it unchokes us.
 *
 * <p>Thread-safe: the scheduling state is guarded by this object's lock, while verifying and
 * writing blocks happen outside it, on gRPC's callback threads.
 */
public final class Download implements AutoCloseable {
  private static final Logger log = Logger.getLogger(Download.class.getName());

  static final int BLOCKS_PER_CALL = 16;
  /** A seed is offered this many times the blocks it is to send, to choose from. */
  static final int SEED_CHOICE = 4;
  /** Most blocks listed in one call: the serving peer's limit. */
  static final int MAX_OFFER = PeerGrpcService.MAX_BLOCKS_PER_CALL;
  /** Pings at connection; the first one also sets the connection up, so it is not counted. */
  private static final int PINGS_AT_CONNECT = 4;
  private static final Duration PING_DEADLINE = Duration.ofSeconds(5);
  private static final Duration PING_EVERY = Duration.ofSeconds(10);
  private static final Duration TICK = Duration.ofMillis(250);
  /** Below this rate a peer's speed is not trusted for deadlines yet. */
  private static final double MIN_TRUSTED_RATE = 64 * 1024;
  private static final Duration UNMEASURED_DEADLINE = Duration.ofSeconds(30);
  private static final Duration MIN_DEADLINE = Duration.ofSeconds(10);
  private static final Duration MAX_DEADLINE = Duration.ofSeconds(120);
  private static final Duration UNMEASURED_LATE_AFTER = Duration.ofSeconds(5);
  private static final Duration MIN_LATE_AFTER = Duration.ofSeconds(2);

  private final TorrentSession session;
  private final Torrent torrent;
  private final BlockStore store;
  private final String localPeerId;
  private final PeerChannels channels;
  private final ScheduledExecutorService scheduler;
  private final Clock clock;
  private final Random random;
  private final Allocation allocation;
  private final RarestFirstPicker picker;
  private final DownloadTrace trace;
  private final Map<String, RemotePeer> peers = new LinkedHashMap<>();
  private boolean closed;
  private boolean completing;
  private Instant lastUseful;
  private int blocksReceived;
  private ScheduledFuture<?> ticker;

  /** @param trace the download's trace: each GetBlocks stream is a span of it */
  public Download(TorrentSession session, String localPeerId, PeerChannels channels,
      ScheduledExecutorService scheduler, Clock clock, Random random, Allocation allocation,
      DownloadTrace trace) {
    this.trace = trace;
    this.session = session;
    this.torrent = session.torrent();
    this.store = session.store();
    this.localPeerId = localPeerId;
    this.channels = channels;
    this.scheduler = scheduler;
    this.clock = clock;
    this.random = random;
    this.allocation = allocation;
    this.picker = new RarestFirstPicker(store.bitfield(), random);
    this.lastUseful = clock.instant();
    session.attachDownload(this::peerStats, this::receivedRate);
    session.attachBitfields(this::bitfieldOf);
  }

  /** Finishes at once if every block was already on disk; otherwise waits for peers. */
  public synchronized void start() {
    if (picker.isComplete()) {
      completeLater();
      return;
    }
    ticker = scheduler.scheduleWithFixedDelay(this::tick, TICK.toMillis(), TICK.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /** Starts fetching from the given peers (new ones join; known ones are left as they are). */
  public void addPeers(Collection<PeerEndpoint> endpoints) {
    List<RemotePeer> added = new ArrayList<>();
    synchronized (this) {
      if (closed) {
        return;
      }
      for (PeerEndpoint endpoint : endpoints) {
        if (endpoint.getPeerId().equals(localPeerId)) {
          continue;
        }
        String address = Endpoints.address(endpoint.getHost(), endpoint.getPort());
        if (!peers.containsKey(address)) {
          RemotePeer peer = new RemotePeer(address, endpoint.getPeerId(), torrent.blockCount(),
              Backoff.standard(random), new RateMeter(clock));
          peers.put(address, peer);
          added.add(peer);
        }
      }
    }
    added.forEach(this::connect);
  }

  /** How long no connected peer has been serving a block this download still needs. */
  public synchronized Duration stalledFor() {
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

  /** Why the download is not going at full speed, for people; empty if nothing is wrong. */
  public synchronized String stallReason() {
    if (closed || picker.isComplete()) {
      return "";
    }
    if (peers.isEmpty()) {
      return "no peers in the swarm yet";
    }
    List<RemotePeer> active = peers.values().stream().filter(RemotePeer::isActive).toList();
    if (active.isEmpty()) {
      return "no peer reachable (" + peers.size() + " known)";
    }
    if (active.stream().allMatch(p -> p.chokesUs)) {
      return "every connected peer chokes us (" + active.size() + "); waiting for an unchoke";
    }
    if (active.stream().noneMatch(p -> p.has != null && picker.isInteresting(p.has))) {
      return "no connected peer has the " + picker.missing() + " missing blocks";
    }
    for (RemotePeer peer : active) {
      long late = peer.calls.stream().filter(c -> c.late).mapToLong(c -> c.outstanding.size())
          .sum();
      if (late > 0) {
        return "waiting on slow peer " + peer + " (" + late + " blocks late)";
      }
    }
    return "";
  }

  public synchronized List<TransferPeer> peerStats() {
    return peers.values().stream()
        .filter(p -> p.state != RemotePeer.State.SELF)
        .map(p -> p.stats(blocksReceived).build())
        .toList();
  }

  /**
   * The peers whose bitfields this download knows (the last one known, for a peer gone), as
   * members of the swarm; their download rates are unknown here (0).
   */
  public synchronized List<SwarmHealthCalculator.Member> members() {
    List<SwarmHealthCalculator.Member> members = new ArrayList<>();
    for (RemotePeer peer : peers.values()) {
      if (peer.has != null && peer.state != RemotePeer.State.SELF
          && peer.state != RemotePeer.State.BANNED) {
        members.add(new SwarmHealthCalculator.Member(peer.peerId, peer.has.copy(),
            peer.has.cardinality(), peer.has.isComplete(), 0));
      }
    }
    return members;
  }

  /** The blocks asked of some peer and not received yet. */
  public synchronized Bitfield inFlight() {
    Bitfield inFlight = new Bitfield(torrent.blockCount());
    for (RemotePeer peer : peers.values()) {
      for (RemotePeer.Call call : peer.calls) {
        call.outstanding.forEach(inFlight::set);
      }
    }
    return inFlight;
  }

  /** What the peer with id {@code peerId} holds, as it last told us; null if not known. */
  public synchronized Bitfield bitfieldOf(String peerId) {
    RemotePeer peer = peerWithId(peerId);
    return peer == null || peer.has == null ? null : peer.has.copy();
  }

  /** Bytes per second received lately from the peer with id {@code peerId} (for choking). */
  public synchronized double receivedRate(String peerId) {
    RemotePeer peer = peerWithId(peerId);
    return peer == null ? 0 : peer.rate.bytesPerSecond();
  }

  /** Whether the peer with id {@code peerId} is one of this download's sources. */
  public synchronized boolean knows(String peerId) {
    return peerWithId(peerId) != null;
  }

  private RemotePeer peerWithId(String peerId) {
    for (RemotePeer peer : peers.values()) {
      if (peerId.equals(peer.peerId)) {
        return peer;
      }
    }
    return null;
  }

  // --- connecting --------------------------------------------------------------------------

  private void connect(RemotePeer peer) {
    int generation;
    synchronized (this) {
      if (closed || peer.state == RemotePeer.State.BANNED) {
        return;
      }
      peer.state = RemotePeer.State.CONNECTING;
      generation = ++peer.generation;
    }
    ping(peer, generation, PINGS_AT_CONNECT);
  }

  /**
   * Pings {@code peer} {@code count} times in a row for its RTT; after the first answer of a
   * (re)connection it subscribes.
   */
  private void ping(RemotePeer peer, int generation, int count) {
    PeerGrpc.PeerStub stub = PeerGrpc.newStub(channels.get(peer.address));
    long sent = System.nanoTime();
    detached(() -> stub.withDeadlineAfter(PING_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
        .ping(PingRequest.getDefaultInstance(), new StreamObserver<>() {
          @Override
          public void onNext(PingResponse response) {
            Duration rtt = Duration.ofNanos(System.nanoTime() - sent);
            boolean subscribeNow;
            synchronized (Download.this) {
              if (peer.generation != generation) {
                return;
              }
              if (response.getPeerId().equals(localPeerId)) {
                peer.state = RemotePeer.State.SELF;
                return;
              }
              if (count < PINGS_AT_CONNECT) {
                peer.rtt.add(rtt);
              }
              peer.lastPing = clock.instant();
              subscribeNow = peer.state == RemotePeer.State.CONNECTING && peer.subscription == null
                  && count == PINGS_AT_CONNECT;
            }
            if (subscribeNow) {
              subscribe(peer, generation, stub);
            }
            if (count > 1) {
              ping(peer, generation, count - 1);
            }
          }

          @Override
          public void onError(Throwable t) {
            fail(peer, generation, "ping failed: " + describe(t));
          }

          @Override
          public void onCompleted() {}
        }));
  }

  /**
   * Runs {@code call} outside the caller's gRPC context: the streams a download opens must not
   * be cancelled when the control call that started the download ends. It is not traced
   * (pings and subscriptions would make a trace each, every few seconds).
   */
  private static void detached(Runnable call) {
    detached(DownloadTrace.untraced(), call);
  }

  /** As {@link #detached(Runnable)}, in the trace context {@code trace}. */
  private static void detached(io.opentelemetry.context.Context trace, Runnable call) {
    Context.ROOT.run(trace.wrap(call));
  }

  private void subscribe(RemotePeer peer, int generation, PeerGrpc.PeerStub stub) {
    SubscribeRequest request = SubscribeRequest.newBuilder()
        .setInfohash(torrent.infoHash().hex())
        .setPeerId(localPeerId)
        .setHave(store.bitfield().toProto())
        .build();
    detached(() -> stub.subscribe(request, new ClientResponseObserver<SubscribeRequest, PeerEvent>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<SubscribeRequest> requestStream) {
        synchronized (Download.this) {
          if (peer.generation == generation) {
            peer.subscription = requestStream;
          }
        }
      }

      @Override
      public void onNext(PeerEvent event) {
        switch (event.getEventCase()) {
          case BITFIELD -> onBitfield(peer, generation, event.getBitfield());
          case HAVE -> onHave(peer, generation, event.getHave().getIndex());
          case CHOKE -> onChoke(peer, generation, true);
          case UNCHOKE -> onChoke(peer, generation, false);
          default -> { } // newer event kinds are ignored
        }
      }

      @Override
      public void onError(Throwable t) {
        fail(peer, generation, "subscription ended: " + describe(t));
      }

      @Override
      public void onCompleted() {
        fail(peer, generation, "subscription closed by the peer");
      }
    }));
  }

  private void onBitfield(RemotePeer peer, int generation, io.minibit.api.v1.Bitfield wire) {
    Bitfield has;
    try {
      if (wire.getBlockCount() != torrent.blockCount()) {
        throw MinibitException.invalid("bitfield of %d blocks for a torrent of %d",
            wire.getBlockCount(), torrent.blockCount());
      }
      has = Bitfield.fromBytes(torrent.blockCount(), wire.getBits().toByteArray());
    } catch (MinibitException e) {
      banForViolation(peer, generation, "sent a bad bitfield: " + e.getMessage());
      return;
    }
    synchronized (this) {
      if (peer.generation != generation || closed) {
        return;
      }
      if (peer.has != null) {
        picker.removeAvailability(peer.has);
      }
      peer.has = has;
      picker.addAvailability(has);
      peer.state = RemotePeer.State.ACTIVE;
      peer.lastError = "";
    }
    fill(peer);
  }

  private void onHave(RemotePeer peer, int generation, int index) {
    synchronized (this) {
      if (peer.generation != generation || peer.has == null || closed) {
        return;
      }
      if (index < 0 || index >= torrent.blockCount()) {
        ban(peer, "announced block " + index + ", which is out of range");
        return;
      }
      if (peer.has.get(index)) {
        return;
      }
      peer.has.set(index);
      picker.addAvailability(index);
    }
    fill(peer);
  }

  private void onChoke(RemotePeer peer, int generation, boolean choked) {
    synchronized (this) {
      if (peer.generation != generation || closed) {
        return;
      }
      peer.chokesUs = choked;
      if (!choked) {
        peer.unchokes++;
      }
    }
    if (!choked) {
      fill(peer);
    }
  }

  // --- fetching ----------------------------------------------------------------------------

  /** Starts as many GetBlocks calls on {@code peer} as its share of the pipeline allows. */
  private void fill(RemotePeer peer) {
    List<RemotePeer.Call> calls = new ArrayList<>();
    int generation;
    Duration deadline;
    synchronized (this) {
      generation = peer.generation;
      if (closed || !peer.isServing()) {
        return;
      }
      List<PeerSample> samples = samples();
      int budget = allocation.budgets(samples, torrent.blockSize()).getOrDefault(peer.address, 1);
      IntPredicate allowed = allocation.allowedBlocks(peer.address, samples);
      // Refill by whole calls: a call per block would cost a round of headers, a deadline
      // timer and a picker scan for every block, which caps a fast pair's throughput.
      int batch = Math.min(BLOCKS_PER_CALL, Math.max(1, budget / 2));
      if (peer.inFlight > 0 && budget - peer.inFlight < batch) {
        return;
      }
      while (peer.inFlight < budget) {
        int room = Math.min(BLOCKS_PER_CALL, budget - peer.inFlight);
        List<Integer> blocks = picker.pick(peer.has, room, peer.requested, allowed);
        if (blocks.isEmpty()) {
          break;
        }
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
      }
      deadline = deadline(peer);
    }
    for (RemotePeer.Call call : calls) {
      fetch(peer, generation, call, deadline);
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
    int extra = Math.min(MAX_OFFER, SEED_CHOICE * room) - blocks.size();
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
    List<PeerSample> samples = new ArrayList<>();
    for (RemotePeer peer : peers.values()) {
      if (peer.state == RemotePeer.State.ACTIVE || peer.state == RemotePeer.State.CONNECTING) {
        samples.add(new PeerSample(peer.address, peer.rtt.millis(), peer.rate.bytesPerSecond(),
            peer.bytesReceived));
      }
    }
    return samples;
  }

  private void fillAll() {
    List<RemotePeer> serving;
    synchronized (this) {
      serving = peers.values().stream().filter(RemotePeer::isServing).toList();
    }
    serving.forEach(this::fill);
  }

  private void fetch(RemotePeer peer, int generation, RemotePeer.Call call, Duration deadline) {
    synchronized (this) {
      if (peer.generation != generation || call.outstanding.isEmpty()) {
        return; // reset meanwhile: its blocks were released then
      }
    }
    Set<Integer> asked = Set.copyOf(call.asked);
    GetBlocksRequest request = GetBlocksRequest.newBuilder()
        .setInfohash(torrent.infoHash().hex())
        .setPeerId(localPeerId)
        .addAllIndices(call.asked)
        .setMaxBlocks(call.limit < call.asked.size() ? call.limit : 0)
        .build();
    PeerGrpc.PeerStub stub = PeerGrpc.newStub(channels.get(peer.address))
        .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    List<ClientCallStreamObserver<?>> started = new ArrayList<>(1);
    DownloadTrace.Fetch span = trace.fetch(peer.address, asked.size());
    detached(span.context(), () -> stub.getBlocks(request,
        new ClientResponseObserver<GetBlocksRequest, Block>() {
      // gRPC calls an observer's methods one at a time
      private int blocks;
      private long bytes;

      @Override
      public void beforeStart(ClientCallStreamObserver<GetBlocksRequest> requestStream) {
        started.add(requestStream); // published once the call is started, see below
      }

      @Override
      public void onNext(Block block) {
        if (!asked.contains(block.getIndex())) {
          banForViolation(peer, generation, "sent block " + block.getIndex()
              + ", which was not asked for");
          return;
        }
        blocks++;
        bytes += block.getData().size();
        onBlock(peer, generation, call, block.getIndex(), block.getData().toByteArray());
      }

      @Override
      public void onError(Throwable t) {
        span.end(blocks, bytes, Status.fromThrowable(t));
        endCall(peer, generation, call, Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        span.end(blocks, bytes, Status.OK);
        endCall(peer, generation, call, Status.OK);
      }
    }));
    // Only a started call may be cancelled; one withdrawn while it was starting goes now.
    boolean cancelNow;
    synchronized (this) {
      call.stream = started.get(0);
      cancelNow = call.cancelled || peer.generation != generation;
    }
    if (cancelNow) {
      call.stream.cancel("withdrawn before it started", null);
    }
  }

  /**
   * How long a call may take before its peer counts as failed: four times what the blocks in
   * flight to that peer should take at its measured rate, plus some round trips; 30 s until the
   * peer's rate is known.
   */
  private Duration deadline(RemotePeer peer) {
    double rate = peer.rate.bytesPerSecond();
    if (rate < MIN_TRUSTED_RATE) {
      return UNMEASURED_DEADLINE;
    }
    long inFlightBytes = (long) peer.inFlight * torrent.blockSize();
    long millis = (long) (4000.0 * inFlightBytes / rate + 4 * peer.rtt.millis());
    return clamp(Duration.ofMillis(millis), MIN_DEADLINE, MAX_DEADLINE);
  }

  /** How long a call may take before its blocks are offered to other peers as well. */
  private Duration lateAfter(RemotePeer peer) {
    double rate = peer.rate.bytesPerSecond();
    if (rate < MIN_TRUSTED_RATE) {
      return UNMEASURED_LATE_AFTER;
    }
    long inFlightBytes = (long) peer.inFlight * torrent.blockSize();
    long millis = (long) (2000.0 * inFlightBytes / rate + 4 * peer.rtt.millis());
    return clamp(Duration.ofMillis(millis), MIN_LATE_AFTER, MAX_DEADLINE);
  }

  private static Duration clamp(Duration value, Duration min, Duration max) {
    return value.compareTo(min) < 0 ? min : value.compareTo(max) > 0 ? max : value;
  }

  private void onBlock(RemotePeer peer, int generation, RemotePeer.Call call, int index,
      byte[] data) {
    session.recordDownloaded(data.length);
    boolean counted; // against the peer's budget: not so if it sent more than its call's limit
    synchronized (this) {
      if (peer.generation != generation || !call.outstanding.remove(index)) {
        return; // the peer was reset, or another copy of the block won: wasted, not wrong
      }
      counted = call.received++ < call.limit;
    }
    BlockStore.WriteResult result;
    try {
      result = store.write(index, data, data.length);
    } catch (IOException e) {
      session.fail(writeFailure(e));
      close();
      return;
    }
    List<ClientCallStreamObserver<?>> toCancel = new ArrayList<>();
    boolean banned = false;
    synchronized (this) {
      // Asked of this peer until written: a fill meanwhile must not ask it for the block again.
      if (peer.generation == generation) {
        peer.inFlight -= counted ? 1 : 0;
        peer.requested.clear(index);
      }
      switch (result) {
        case STORED -> {
          picker.received(index);
          blocksReceived++;
          peer.blocksReceived++;
          peer.bytesReceived += data.length;
          peer.rate.record(data.length);
          peer.backoff.reset();
          lastUseful = clock.instant();
          withdrawOtherCopies(index, call, toCancel);
        }
        case DUPLICATE -> picker.release(index);
        case CORRUPT -> {
          picker.release(index);
          peer.hashFailures++;
          if (peer.generation == generation && peer.hashFailures >= RemotePeer.MAX_STRIKES) {
            ban(peer, peer.hashFailures + " blocks failed their hash");
            banned = true;
          }
        }
      }
    }
    toCancel.forEach(stream -> stream.cancel("another peer delivered the block first", null));
    if (result == BlockStore.WriteResult.STORED) {
      session.onBlockStored(index);
      synchronized (this) {
        if (picker.isComplete()) {
          completeLater();
          return;
        }
      }
      fill(peer);
    } else if (result == BlockStore.WriteResult.CORRUPT) {
      log.warning(() -> peer + " sent a corrupt block " + index + " of " + torrent
          + (peer.hashFailures >= RemotePeer.MAX_STRIKES ? "; banned" : ""));
      if (!banned) {
        fill(peer);
      }
      fillAll();
    }
  }

  /** Block {@code index} arrived: other requests for it are withdrawn, and lone ones cancelled. */
  private void withdrawOtherCopies(int index, RemotePeer.Call winner,
      List<ClientCallStreamObserver<?>> toCancel) {
    for (RemotePeer other : peers.values()) {
      for (RemotePeer.Call call : other.calls) {
        int expected = call.expected();
        if (call != winner && call.outstanding.remove(index)) {
          picker.release(index);
          other.inFlight -= expected - call.expected();
          other.requested.clear(index);
          if (call.expected() == 0) {
            call.cancelled = true;
            if (call.stream != null) {
              toCancel.add(call.stream); // else fetch cancels it once started
            }
          }
        }
      }
    }
  }

  private void endCall(RemotePeer peer, int generation, RemotePeer.Call call, Status status) {
    synchronized (this) {
      if (peer.generation != generation) {
        return; // the peer was reset; its blocks were released then
      }
      peer.calls.remove(call);
      peer.inFlight -= call.expected();
      for (int index : call.outstanding) {
        picker.release(index);
        peer.requested.clear(index);
      }
      call.outstanding.clear();
      if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
        // Choked: it will say UNCHOKE when it serves us again, unless it already has since.
        peer.chokesUs |= call.unchokesAtStart == peer.unchokes;
      } else if (!status.isOk() && !call.cancelled) {
        failLocked(peer, "GetBlocks failed: " + status.getCode()
            + (status.getDescription() == null ? "" : ": " + status.getDescription()));
      }
    }
    fillAll();
  }

  /** Every tick: offers late calls' blocks to other peers, and renews RTTs now and then. */
  private void tick() {
    Map<RemotePeer, Integer> toPing = new LinkedHashMap<>(); // peer -> its generation now
    boolean anyLate = false;
    synchronized (this) {
      if (closed) {
        return;
      }
      Instant now = clock.instant();
      for (RemotePeer peer : peers.values()) {
        if (!peer.isActive()) {
          continue;
        }
        Duration lateAfter = lateAfter(peer);
        for (RemotePeer.Call call : peer.calls) {
          Duration age = Duration.between(call.started, now);
          if (!call.late && !call.outstanding.isEmpty() && age.compareTo(lateAfter) > 0) {
            call.late = true;
            anyLate = true;
            call.outstanding.forEach(picker::markLate);
            peer.lastError = String.format("slow: %d blocks late after %.1f s",
                call.outstanding.size(), age.toMillis() / 1000.0);
          }
        }
        if (Duration.between(peer.lastPing, now).compareTo(PING_EVERY) > 0) {
          peer.lastPing = now;
          toPing.put(peer, peer.generation);
        }
      }
    }
    toPing.forEach((peer, generation) -> ping(peer, generation, 1));
    if (anyLate) {
      fillAll();
    }
  }

  // --- failures ----------------------------------------------------------------------------

  /** The peer broke the protocol: no second chance. */
  private void banForViolation(RemotePeer peer, int generation, String reason) {
    synchronized (this) {
      if (peer.generation != generation) {
        return;
      }
      ban(peer, reason);
    }
    fillAll();
  }

  private void fail(RemotePeer peer, int generation, String reason) {
    synchronized (this) {
      if (peer.generation != generation) {
        return;
      }
      failLocked(peer, reason);
    }
    fillAll();
  }

  /** Drops the peer's connection, gives back its blocks and schedules a reconnection. */
  private void failLocked(RemotePeer peer, String reason) {
    if (!reset(peer)) {
      return;
    }
    peer.lastError = reason;
    peer.state = RemotePeer.State.BACKING_OFF;
    Duration delay = peer.backoff.nextDelay();
    log.info(() -> String.format("%s: peer %s %s; retrying in %d ms", torrent, peer, reason,
        delay.toMillis()));
    scheduler.schedule(() -> connect(peer), delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void ban(RemotePeer peer, String reason) {
    reset(peer);
    peer.lastError = reason;
    peer.state = RemotePeer.State.BANNED;
    log.warning(() -> torrent + ": banned peer " + peer + ": " + reason);
  }

  /** Cancels the peer's streams and releases its blocks; false if it was already down. */
  private boolean reset(RemotePeer peer) {
    if (closed || peer.state == RemotePeer.State.BANNED || peer.state == RemotePeer.State.CLOSED
        || peer.state == RemotePeer.State.BACKING_OFF) {
      return false;
    }
    peer.generation++;
    if (peer.subscription != null) {
      peer.subscription.cancel("peer reset", null);
      peer.subscription = null;
    }
    for (RemotePeer.Call call : peer.calls) {
      call.outstanding.forEach(picker::release);
      call.outstanding.clear();
      if (call.stream != null) {
        call.stream.cancel("peer reset", null);
      }
    }
    peer.calls.clear();
    peer.inFlight = 0;
    peer.chokesUs = true;
    peer.requested = new Bitfield(torrent.blockCount());
    if (peer.has != null) {
      picker.removeAvailability(peer.has);
      peer.has = null;
    }
    return true;
  }

  // --- the end -----------------------------------------------------------------------------

  /**
   * Why a block could not be written, for the user: a full disk is a limit they can lift (the
   * verified blocks stay, and {@code minibit get} resumes once space is freed).
   */
  private MinibitException writeFailure(IOException e) {
    String message = String.valueOf(e.getMessage());
    if (message.contains("No space left on device") || message.contains("Disk quota exceeded")) {
      return new MinibitException(ErrorCode.RESOURCE_EXHAUSTED, "the disk is full: cannot write "
          + torrent.name() + "; free some space and run get again to resume", e);
    }
    return new MinibitException(ErrorCode.FAILED_PRECONDITION,
        "cannot write " + torrent.name() + ": " + message, e);
  }

  private void completeLater() {
    if (completing) {
      return;
    }
    completing = true;
    scheduler.execute(() -> {
      try {
        close();
        session.finishDownload();
      } catch (RuntimeException e) {
        session.fail(new MinibitException(ErrorCode.INTERNAL,
            "cannot finish " + torrent.name() + ": " + e, e));
      }
    });
  }

  /** Stops fetching and drops every peer connection; the peers' figures stay for display. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      if (ticker != null) {
        ticker.cancel(false);
      }
      for (RemotePeer peer : peers.values()) {
        Bitfield lastKnown = peer.has;
        reset(peer);
        peer.has = lastKnown;
        if (peer.state != RemotePeer.State.BANNED && peer.state != RemotePeer.State.SELF) {
          peer.state = RemotePeer.State.CLOSED;
        }
      }
      closed = true;
    }
  }

  private static String describe(Throwable t) {
    Status status = Status.fromThrowable(t);
    return status.getDescription() == null ? status.getCode().toString()
        : status.getCode() + ": " + status.getDescription();
  }
}
