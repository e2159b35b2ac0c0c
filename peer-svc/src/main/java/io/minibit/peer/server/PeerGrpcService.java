package io.minibit.peer.server;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v2.GetBlocksRequest;
import io.minibit.api.v2.GetBlocksResponse;
import io.minibit.api.v2.GetLocalSwarmHealthRequest;
import io.minibit.api.v2.GetLocalSwarmHealthResponse;
import io.minibit.api.v2.PeerServiceGrpc;
import io.minibit.api.v2.PingRequest;
import io.minibit.api.v2.PingResponse;
import io.minibit.api.v2.SubscribeRequest;
import io.minibit.api.v2.SubscribeResponse;
import io.minibit.core.Bitfield;
import io.minibit.core.ErrorReason;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.core.SwarmHealthCalculator;
import io.minibit.core.SwarmHealthProtos;
import io.minibit.core.Torrent;
import io.minibit.core.Validation;
import io.minibit.core.grpc.CallerAddress;
import io.minibit.peer.session.TorrentSession;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The Peer service other peers call: bitfield subscriptions, block streams and pings. Validates
 * each request, then hands the work to the torrent's session and a {@link BlockSender}.
 */
public final class PeerGrpcService extends PeerServiceGrpc.PeerServiceImplBase {
  /** Most blocks one GetBlocks call may ask for. */
  public static final int MAX_BLOCKS_PER_CALL = Validation.MAX_BLOCKS_PER_CALL;
  /**
   * Most GetBlocks calls one peer may have open at once, over every torrent: a downloader keeps
   * a few in flight per peer; more only hold threads and buffers here.
   */
  public static final int MAX_CALLS_PER_PEER = 32;

  private final String peerId;
  private final Function<InfoHash, TorrentSession> sessions;
  private final UploadLimiter limiter;
  private final Function<TorrentSession, SwarmHealthCalculator.Health> health;
  /** GetBlocks calls open, by the peer id they claim. */
  private final Map<String, AtomicInteger> openCalls = new ConcurrentHashMap<>();

  /**
   * @param sessions looks up a torrent's session; throws NOT_FOUND for one this peer lacks
   * @param health the swarm health of a session, as this peer sees it
   */
  public PeerGrpcService(String peerId, Function<InfoHash, TorrentSession> sessions,
      UploadLimiter limiter, Function<TorrentSession, SwarmHealthCalculator.Health> health) {
    this.peerId = peerId;
    this.sessions = sessions;
    this.limiter = limiter;
    this.health = health;
  }

  @Override
  public void getLocalSwarmHealth(GetLocalSwarmHealthRequest request,
      StreamObserver<GetLocalSwarmHealthResponse> responseObserver) {
    TorrentSession session = sessions.apply(InfoHash.parse(request.getInfohash()));
    responseObserver.onNext(
        GetLocalSwarmHealthResponse.newBuilder().setHealth(SwarmHealthProtos.toProto(health.apply(session))).build());
    responseObserver.onCompleted();
  }

  @Override
  public void subscribe(SubscribeRequest request,
      StreamObserver<SubscribeResponse> responseObserver) {
    TorrentSession session = sessions.apply(InfoHash.parse(request.getInfohash()));
    Validation.requirePeerId("peer_id", request.getPeerId());
    Bitfield theirs = new Bitfield(session.torrent().blockCount());
    if (request.hasHave()) {
      if (request.getHave().getBlockCount() != session.torrent().blockCount()) {
        throw MinibitException.invalid("have has %d blocks; %s has %d",
            request.getHave().getBlockCount(), session.torrent().name(),
            session.torrent().blockCount());
      }
      theirs = Bitfield.fromBytes(session.torrent().blockCount(),
          request.getHave().getBits().toByteArray());
    }
    session.subscribe(request.getPeerId(), CallerAddress.current().orElse(""),
        CallerAddress.connection().orElse(""), theirs, request.getHaveLists(),
        (ServerCallStreamObserver<SubscribeResponse>) responseObserver);
  }

  @Override
  public void getBlocks(GetBlocksRequest request,
      StreamObserver<GetBlocksResponse> responseObserver) {
    TorrentSession session = sessions.apply(InfoHash.parse(request.getInfohash()));
    Validation.requirePeerId("peer_id", request.getPeerId());
    List<Integer> indices = checkedIndices(request, session);
    Optional<String> connection = CallerAddress.connection();
    if (connection.isPresent()
        && !session.subscribers().subscribedOver(request.getPeerId(), connection.get())) {
      throw new MinibitException(ErrorReason.NOT_SUBSCRIBED, Map.of(), String.format(
          "peer %s has no Subscribe stream for %s on this connection: blocks go to a subscriber, "
              + "over its own connection; subscribe first", request.getPeerId(),
          session.torrent().name()));
    }
    Runnable ended = openCall(request.getPeerId());
    if (!session.uploadSlots().admit(request.getPeerId(), CallerAddress.current().orElse(""))) {
      ended.run();
      throw new MinibitException(ErrorReason.CHOKED, Map.of(), String.format(
          "choked: every upload slot for %s is taken; wait for UNCHOKE on Subscribe",
          session.torrent().name()));
    }
    new BlockSender(session, request.getPeerId(),
        session.chooseToSend(indices, request.getMaxBlocks()), limiter,
        (ServerCallStreamObserver<GetBlocksResponse>) responseObserver, ended).start();
  }

  @Override
  public void ping(PingRequest request, StreamObserver<PingResponse> responseObserver) {
    responseObserver.onNext(PingResponse.newBuilder().setPeerId(peerId).build());
    responseObserver.onCompleted();
  }

  /**
   * Counts a GetBlocks call of {@code peer} as open; RESOURCE_EXHAUSTED past {@link
   * #MAX_CALLS_PER_PEER}. Returns what to run, once, when the call ends.
   */
  private Runnable openCall(String peer) {
    AtomicInteger open = openCalls.computeIfAbsent(peer, p -> new AtomicInteger());
    if (open.incrementAndGet() > MAX_CALLS_PER_PEER) {
      open.decrementAndGet();
      throw new MinibitException(ErrorReason.OVER_LIMIT,
          Map.of("limit", "calls_per_peer", "max", String.valueOf(MAX_CALLS_PER_PEER)),
          String.format("peer %s has %d GetBlocks calls open, the most one peer may; wait for "
              + "one to end", peer, MAX_CALLS_PER_PEER));
    }
    AtomicBoolean ended = new AtomicBoolean();
    return () -> {
      if (ended.compareAndSet(false, true) && open.decrementAndGet() == 0) {
        openCalls.remove(peer, open);
      }
    };
  }

  private static List<Integer> checkedIndices(GetBlocksRequest request, TorrentSession session) {
    int count = request.getIndicesCount();
    if (count == 0) {
      throw MinibitException.invalid("indices is empty: ask for at least one block");
    }
    if (count > MAX_BLOCKS_PER_CALL) {
      throw new MinibitException(ErrorReason.OVER_LIMIT,
          Map.of("limit", "blocks_per_call", "max", String.valueOf(MAX_BLOCKS_PER_CALL)),
          String.format("asked for %d blocks in one call; the limit is %d", count,
              MAX_BLOCKS_PER_CALL));
    }
    Torrent torrent = session.torrent();
    Set<Integer> seen = new HashSet<>();
    List<Integer> indices = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      long index = Integer.toUnsignedLong(request.getIndices(i));
      torrent.checkIndex(index);
      if (!seen.add((int) index)) {
        throw MinibitException.invalid("block %d is asked for twice", index);
      }
      if (!session.store().has((int) index)) {
        throw new MinibitException(ErrorReason.BLOCK_NOT_HELD,
            Map.of("index", String.valueOf(index)), String.format("block %d of %s is not held here yet", index, torrent));
      }
      indices.add((int) index);
    }
    if (Integer.toUnsignedLong(request.getMaxBlocks()) > count) {
      throw MinibitException.invalid("max_blocks is %d but only %d blocks are listed",
          Integer.toUnsignedLong(request.getMaxBlocks()), count);
    }
    return indices;
  }
}
