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
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import io.minibit.core.store.BlockStore;
import io.minibit.peer.policy.RarestFirstPicker;
import io.minibit.peer.session.TorrentSession;
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
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Fetches the missing blocks of one torrent from every peer that has them, at once.
 *
 * <p>For each peer it measures nothing yet and trusts everyone equally: it pings the peer,
 * subscribes to its bitfield, then keeps up to {@link #MAX_CALLS_PER_PEER} GetBlocks streams of
 * {@link #BLOCKS_PER_CALL} blocks in flight, picked rarest-first by the {@link RarestFirstPicker}. Each
 * block is verified before it is written; one that fails costs its sender a strike, and three
 * strikes ban it. A peer that fails or stalls past its deadline gives its blocks back to the
 * others and is retried after an exponential backoff.
 *
 * <p>Thread-safe: the scheduling state is guarded by this object's lock, while verifying and
 * writing blocks happen outside it, on gRPC's callback threads.
 */
public final class Download implements AutoCloseable {
  private static final Logger log = Logger.getLogger(Download.class.getName());

  static final int MAX_CALLS_PER_PEER = 4;
  static final int BLOCKS_PER_CALL = 4;
  private static final Duration PING_DEADLINE = Duration.ofSeconds(5);
  /** A call must deliver its blocks at this rate at least, or it is given up as stalled. */
  private static final long SLOWEST_ACCEPTED_BYTES_PER_SECOND = 256 * 1024;
  private static final Duration CALL_DEADLINE_BASE = Duration.ofSeconds(10);

  private final TorrentSession session;
  private final Torrent torrent;
  private final BlockStore store;
  private final String localPeerId;
  private final PeerChannels channels;
  private final ScheduledExecutorService scheduler;
  private final Clock clock;
  private final Random random;
  private final RarestFirstPicker picker;
  private final Map<String, RemotePeer> peers = new LinkedHashMap<>();
  private boolean closed;
  private boolean completing;
  private Instant lastUseful;

  public Download(TorrentSession session, String localPeerId, PeerChannels channels,
      ScheduledExecutorService scheduler, Clock clock, Random random) {
    this.session = session;
    this.torrent = session.torrent();
    this.store = session.store();
    this.localPeerId = localPeerId;
    this.channels = channels;
    this.scheduler = scheduler;
    this.clock = clock;
    this.random = random;
    this.picker = new RarestFirstPicker(store.bitfield(), random);
    this.lastUseful = clock.instant();
    session.setPeerStats(this::peerStats);
  }

  /** Finishes at once if every block was already on disk; otherwise waits for peers. */
  public synchronized void start() {
    if (picker.isComplete()) {
      completeLater();
    }
  }

  /** Starts fetching from the given peers (new ones join; known ones are left as they are). */
  public void addPeers(Collection<PeerEndpoint> endpoints) {
    List<RemotePeer> added = new ArrayList<>();
    synchronized (this) {
      if (closed) {
        return;
      }
      if (picker.isComplete()) {
        completeLater();
        return;
      }
      for (PeerEndpoint endpoint : endpoints) {
        if (endpoint.getPeerId().equals(localPeerId)) {
          continue;
        }
        String address = Endpoints.address(endpoint.getHost(), endpoint.getPort());
        RemotePeer peer = peers.get(address);
        if (peer == null) {
          peer = new RemotePeer(address, endpoint.getPeerId(), torrent.blockCount(),
              Backoff.standard(random));
          peers.put(address, peer);
          added.add(peer);
        }
      }
    }
    added.forEach(this::connect);
  }

  /** How long no connected peer has had a block this download still needs. */
  public synchronized Duration stalledFor() {
    if (closed || picker.isComplete()) {
      return Duration.ZERO;
    }
    for (RemotePeer peer : peers.values()) {
      if (peer.isActive() && (peer.callsInFlight > 0 || picker.isInteresting(peer.has))) {
        lastUseful = clock.instant();
        return Duration.ZERO;
      }
    }
    return Duration.between(lastUseful, clock.instant());
  }

  /** Why the download is not progressing, for the status display; empty if it is. */
  public synchronized String stallReason() {
    if (stalledFor().isZero()) {
      return "";
    }
    if (peers.isEmpty()) {
      return "no peers in the swarm yet";
    }
    long connected = peers.values().stream().filter(RemotePeer::isActive).count();
    if (connected == 0) {
      return "no peer reachable (" + peers.size() + " known)";
    }
    return "no connected peer has the " + picker.missing() + " missing blocks";
  }

  public synchronized List<TransferPeer> peerStats() {
    return peers.values().stream()
        .filter(p -> p.state != RemotePeer.State.SELF)
        .map(RemotePeer::stats)
        .toList();
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
    PeerGrpc.PeerStub stub = PeerGrpc.newStub(channels.get(peer.address));
    detached(() -> stub.withDeadlineAfter(PING_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
        .ping(PingRequest.getDefaultInstance(), new StreamObserver<>() {
          @Override
          public void onNext(PingResponse response) {
            if (response.getPeerId().equals(localPeerId)) {
              synchronized (Download.this) {
                peer.state = RemotePeer.State.SELF;
              }
              return;
            }
            subscribe(peer, generation, stub);
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
   * be cancelled when the control call that started the download ends.
   */
  private static void detached(Runnable call) {
    Context.ROOT.run(call);
  }

  private void subscribe(RemotePeer peer, int generation, PeerGrpc.PeerStub stub) {
    SubscribeRequest request = SubscribeRequest.newBuilder()
        .setInfohash(torrent.infoHash().hex())
        .setPeerId(localPeerId)
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
      fail(peer, generation, "sent a bad bitfield: " + e.getMessage());
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
        failLocked(peer, "announced block " + index + " out of range");
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

  // --- fetching ----------------------------------------------------------------------------

  /** Starts as many GetBlocks calls on {@code peer} as its pipeline has room for. */
  private void fill(RemotePeer peer) {
    List<List<Integer>> batches = new ArrayList<>();
    int generation;
    synchronized (this) {
      generation = peer.generation;
      while (!closed && peer.isActive() && peer.callsInFlight < MAX_CALLS_PER_PEER) {
        List<Integer> blocks = picker.pick(peer.has, BLOCKS_PER_CALL, peer.requested);
        if (blocks.isEmpty()) {
          break;
        }
        blocks.forEach(peer.requested::set);
        peer.callsInFlight++;
        batches.add(blocks);
      }
    }
    for (List<Integer> blocks : batches) {
      fetch(peer, generation, blocks);
    }
  }

  private void fillAll() {
    List<RemotePeer> active;
    synchronized (this) {
      active = peers.values().stream().filter(RemotePeer::isActive).toList();
    }
    active.forEach(this::fill);
  }

  private void fetch(RemotePeer peer, int generation, List<Integer> blocks) {
    long bytes = blocks.stream().mapToLong(torrent::blockLength).sum();
    long deadlineMs = CALL_DEADLINE_BASE.toMillis() + 1000 * bytes / SLOWEST_ACCEPTED_BYTES_PER_SECOND;
    GetBlocksRequest request = GetBlocksRequest.newBuilder()
        .setInfohash(torrent.infoHash().hex())
        .setPeerId(localPeerId)
        .addAllIndices(blocks)
        .build();
    Set<Integer> outstanding = new HashSet<>(blocks);
    PeerGrpc.PeerStub stub = PeerGrpc.newStub(channels.get(peer.address))
        .withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS);
    detached(() -> stub.getBlocks(request, new ClientResponseObserver<GetBlocksRequest, Block>() {
      private ClientCallStreamObserver<GetBlocksRequest> call;

      @Override
      public void beforeStart(ClientCallStreamObserver<GetBlocksRequest> requestStream) {
        call = requestStream;
        synchronized (Download.this) {
          if (peer.generation == generation) {
            peer.calls.add(requestStream);
          }
        }
      }

      @Override
      public void onNext(Block block) {
        int index = block.getIndex();
        boolean expected;
        synchronized (Download.this) {
          expected = outstanding.remove(index);
        }
        if (!expected) {
          call.cancel("sent a block that was not asked for", null);
          banForViolation(peer, generation, "sent block " + index + ", which was not asked for");
          return;
        }
        onBlock(peer, generation, index, block.getData().toByteArray());
      }

      @Override
      public void onError(Throwable t) {
        endCall(peer, generation, call, outstanding, describe(t));
      }

      @Override
      public void onCompleted() {
        endCall(peer, generation, call, outstanding, null);
      }
    }));
  }

  private void onBlock(RemotePeer peer, int generation, int index, byte[] data) {
    session.recordDownloaded(data.length);
    BlockStore.WriteResult result;
    try {
      result = store.write(index, data, data.length);
    } catch (IOException e) {
      session.fail(new MinibitException(io.minibit.core.ErrorCode.INTERNAL,
          "cannot write " + torrent.name() + ": " + e.getMessage(), e));
      close();
      return;
    }
    boolean stored = result == BlockStore.WriteResult.STORED;
    synchronized (this) {
      if (stored) {
        picker.received(index);
      } else {
        picker.release(index);
      }
      if (peer.generation == generation) {
        peer.requested.clear(index);
        switch (result) {
          case STORED -> {
            peer.blocksReceived++;
            peer.bytesReceived += data.length;
            peer.backoff.reset();
          }
          case CORRUPT -> peer.hashFailures++;
          case DUPLICATE -> { }
        }
      }
      lastUseful = clock.instant();
    }
    if (stored) {
      session.onBlockStored(index);
      synchronized (this) {
        if (picker.isComplete()) {
          completeLater();
        }
      }
    } else if (result == BlockStore.WriteResult.CORRUPT) {
      log.warning(() -> peer + " sent a corrupt block " + index + " of " + torrent);
      synchronized (this) {
        if (peer.generation == generation && peer.hashFailures >= RemotePeer.MAX_STRIKES) {
          ban(peer, peer.hashFailures + " blocks failed their hash");
        }
      }
      fillAll();
    }
  }

  private void endCall(RemotePeer peer, int generation, ClientCallStreamObserver<?> call,
      Set<Integer> outstanding, String error) {
    boolean released;
    synchronized (this) {
      if (peer.generation != generation) {
        return; // the peer was reset; its blocks were released then
      }
      peer.calls.remove(call);
      peer.callsInFlight--;
      released = !outstanding.isEmpty();
      for (int index : outstanding) {
        picker.release(index);
        peer.requested.clear(index);
      }
      outstanding.clear();
      if (error != null) {
        failLocked(peer, "GetBlocks failed: " + error);
      }
    }
    if (released) {
      fillAll();
    } else {
      fill(peer);
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
    for (ClientCallStreamObserver<?> call : peer.calls) {
      call.cancel("peer reset", null);
    }
    peer.calls.clear();
    peer.callsInFlight = 0;
    peer.requested.setBits().forEach(picker::release);
    peer.requested = new Bitfield(torrent.blockCount());
    if (peer.has != null) {
      picker.removeAvailability(peer.has);
      peer.has = null;
    }
    return true;
  }

  // --- the end -----------------------------------------------------------------------------

  private void completeLater() {
    if (completing) {
      return;
    }
    completing = true;
    scheduler.execute(() -> {
      close();
      session.finishDownload();
    });
  }

  /** Stops fetching and drops every peer connection. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      for (RemotePeer peer : peers.values()) {
        Bitfield lastKnown = peer.has;
        reset(peer);
        peer.has = lastKnown; // kept for the status display
        if (peer.state != RemotePeer.State.BANNED) {
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
