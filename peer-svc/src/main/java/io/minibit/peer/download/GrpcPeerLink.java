package io.minibit.peer.download;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v2.GetBlocksRequest;
import io.minibit.api.v2.KnownPeer;
import io.minibit.api.v2.PeerList;
import io.minibit.api.v2.PeerServiceGrpc;
import io.minibit.api.v2.PingRequest;
import io.minibit.api.v2.PingResponse;
import io.minibit.api.v2.SubscribeRequest;
import io.minibit.api.v2.SubscribeResponse;
import io.minibit.core.Bitfield;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import io.minibit.core.store.BlockStore;
import io.minibit.peer.session.PeerExchange;
import io.minibit.peer.telemetry.DownloadTrace;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The client side of one remote peer over gRPC: pings, the Subscribe stream and GetBlocks calls.
 * A call's blocks are received by a {@link BlockStream}, which verifies and writes each on the
 * call's own thread, so peers' blocks are hashed in parallel; only the outcome goes to the
 * scheduler.
 *
 * <p>Calls run outside the gRPC context of whoever started the download (a CLI's control call
 * that ends must not cancel them). Pings and the subscription are not traced; the GetBlocks
 * calls to this peer are in one span of the download's trace, opened at the first call.
 *
 * <p>The peer lists of peer exchange on the subscription go to a {@link PeerListSink}, with the
 * peer id the remote peer answered pings with, on the call's thread.
 *
 * <p>Methods are called from the scheduler's loop; call callbacks come on gRPC's threads.
 */
final class GrpcPeerLink implements PeerLink {
  private static final Duration PING_DEADLINE = Duration.ofSeconds(5);

  /** Where a block goes once it arrives: verified, then written. */
  interface BlockSink {
    BlockStore.WriteResult write(ReceivedBlock block) throws IOException;
  }

  /** Where the peers a remote peer names (peer exchange) go; unchecked, at most a list's worth. */
  interface PeerListSink {
    void named(String sourcePeerId, List<PeerExchange.Endpoint> peers);
  }

  private final String address;
  private final Channel channel;
  private final Runnable released;
  private boolean closed; // on the scheduler's loop only
  private final Torrent torrent;
  private final String localPeerId;
  private final Supplier<Bitfield> held;
  private final BlockSink sink;
  private final DownloadTrace trace;
  private final Events events;
  private final PeerListSink peerLists;
  /** The id the peer answered the last ping with; "" before the first answer. */
  private volatile String remotePeerId = "";
  private final Map<RemotePeer.Call, ClientCallStreamObserver<?>> calls = new ConcurrentHashMap<>();
  private volatile ClientCallStreamObserver<?> subscription;
  private DownloadTrace.Source source;

  /**
   * @param released run once, when the link is closed: the link no longer uses {@code channel}
   */
  GrpcPeerLink(String address, Channel channel, Runnable released, Torrent torrent,
      String localPeerId, Supplier<Bitfield> held, BlockSink sink, DownloadTrace trace,
      Events events, PeerListSink peerLists) {
    this.peerLists = peerLists;
    this.address = address;
    this.channel = channel;
    this.released = released;
    this.torrent = torrent;
    this.localPeerId = localPeerId;
    this.held = held;
    this.sink = sink;
    this.trace = trace;
    this.events = events;
  }

  @Override
  public void connect(int generation, int pings) {
    ping(generation, pings, false);
  }

  @Override
  public void ping(int generation) {
    ping(generation, 1, true);
  }

  /** Pings {@code count} times in a row, the first answer being an RTT sample if {@code sample}. */
  private void ping(int generation, int count, boolean sample) {
    PeerServiceGrpc.PeerServiceStub stub = PeerServiceGrpc.newStub(channel)
        .withDeadlineAfter(PING_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    long sent = System.nanoTime();
    untraced(() -> stub.ping(PingRequest.getDefaultInstance(), new StreamObserver<>() {
      @Override
      public void onNext(PingResponse response) {
        remotePeerId = response.getPeerId();
        events.answered(generation, Duration.ofNanos(System.nanoTime() - sent),
            response.getPeerId(), sample);
        if (count > 1) {
          ping(generation, count - 1, true);
        }
      }

      @Override
      public void onError(Throwable t) {
        events.failed(generation, "ping failed: " + describe(t));
      }

      @Override
      public void onCompleted() {}
    }));
  }

  @Override
  public void subscribe(int generation) {
    SubscribeRequest request = SubscribeRequest.newBuilder()
        .setInfohash(torrent.infoHash().hex())
        .setPeerId(localPeerId)
        .setHave(held.get().toProto())
        .setHaveLists(true)
        .build();
    untraced(() -> PeerServiceGrpc.newStub(channel).subscribe(request,
        new ClientResponseObserver<SubscribeRequest, SubscribeResponse>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<SubscribeRequest> stream) {
            subscription = stream;
          }

          @Override
          public void onNext(SubscribeResponse event) {
            switch (event.getEventCase()) {
              case BITFIELD -> bitfield(generation, event.getBitfield());
              case HAVE -> events.have(generation, event.getHave().getIndex());
              case HAVE_LIST -> events.haves(generation, event.getHaveList().getIndicesList());
              case CHOKE -> events.choked(generation, true);
              case UNCHOKE -> events.choked(generation, false);
              case PEERS -> peers(event.getPeers());
              default -> { } // newer event kinds are ignored
            }
          }

          @Override
          public void onError(Throwable t) {
            events.failed(generation, "subscription ended: " + describe(t));
          }

          @Override
          public void onCompleted() {
            events.failed(generation, "subscription closed by the peer");
          }
        }));
  }

  /** Hands on the first {@link PeerExchange#MAX_PER_MESSAGE} entries; the rest are not read. */
  private void peers(PeerList list) {
    int count = Math.min(list.getPeersCount(), PeerExchange.MAX_PER_MESSAGE);
    List<PeerExchange.Endpoint> named = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      KnownPeer peer = list.getPeers(i);
      named.add(new PeerExchange.Endpoint(peer.getPeerId(), peer.getHost(), peer.getPort(),
          peer.getComplete()));
    }
    String source = remotePeerId;
    if (!source.isEmpty()) {
      peerLists.named(source, named);
    }
  }

  private void bitfield(int generation, io.minibit.api.v2.Bitfield wire) {
    try {
      if (wire.getBlockCount() != torrent.blockCount()) {
        throw MinibitException.invalid("bitfield of %d blocks for a torrent of %d",
            wire.getBlockCount(), torrent.blockCount());
      }
      events.bitfield(generation,
          Bitfield.fromBytes(torrent.blockCount(), wire.getBits().toByteArray()));
    } catch (MinibitException e) {
      events.violated(generation, "sent a bad bitfield: " + e.getMessage());
    }
  }

  @Override
  public void fetch(int generation, RemotePeer.Call call, Duration deadline) {
    GetBlocksRequest request = GetBlocksRequest.newBuilder()
        .setInfohash(torrent.infoHash().hex())
        .setPeerId(localPeerId)
        .addAllIndices(call.asked)
        .setMaxBlocks(call.limit < call.asked.size() ? call.limit : 0)
        .build();
    if (source == null) {
      source = trace.source(address);
    }
    DownloadTrace.Source span = source;
    CallOptions options = CallOptions.DEFAULT
        .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    in(span.context(), () -> ClientCalls.asyncServerStreamingCall(
        channel.newCall(ReceivedBlock.method(), options), request,
        new BlockStream(generation, call, sink, span, events, calls)));
  }

  @Override
  public void cancel(RemotePeer.Call call, String reason) {
    ClientCallStreamObserver<?> stream = calls.get(call);
    if (stream != null) {
      stream.cancel(reason, null);
    }
  }

  @Override
  public void disconnect(String reason) {
    ClientCallStreamObserver<?> subscribed = subscription;
    subscription = null;
    if (subscribed != null) {
      subscribed.cancel(reason, null);
    }
    calls.values().forEach(stream -> stream.cancel(reason, null));
  }

  @Override
  public void close() {
    disconnect("download closed");
    if (source != null) {
      source.end();
    }
    if (!closed) {
      closed = true;
      released.run();
    }
  }

  /**
   * Runs {@code call} outside the caller's gRPC context, and untraced: pings and subscriptions
   * would make a trace each every few seconds.
   */
  private static void untraced(Runnable call) {
    in(DownloadTrace.untraced(), call);
  }

  /** Runs {@code call} outside the caller's gRPC context, in the trace context {@code trace}. */
  private static void in(io.opentelemetry.context.Context trace, Runnable call) {
    Context.ROOT.run(trace.wrap(call));
  }

  private static String describe(Throwable t) {
    Status status = Status.fromThrowable(t);
    return status.getDescription() == null ? status.getCode().toString()
        : status.getCode() + ": " + status.getDescription();
  }

  @Override
  public String toString() {
    return address;
  }
}
