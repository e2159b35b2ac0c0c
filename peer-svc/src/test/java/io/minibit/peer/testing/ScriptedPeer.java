package io.minibit.peer.testing;

import com.google.protobuf.ByteString;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v2.AnnounceEvent;
import io.minibit.api.v2.AnnounceRequest;
import io.minibit.api.v2.Bitfield;
import io.minibit.api.v2.Choke;
import io.minibit.api.v2.GetBlocksRequest;
import io.minibit.api.v2.GetBlocksResponse;
import io.minibit.api.v2.PeerServiceGrpc;
import io.minibit.api.v2.PingRequest;
import io.minibit.api.v2.PingResponse;
import io.minibit.api.v2.GetManifestRequest;
import io.minibit.api.v2.SubscribeRequest;
import io.minibit.api.v2.SubscribeResponse;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.api.v2.Unchoke;
import io.minibit.core.testing.TestFiles;
import io.minibit.core.testing.TestKeys;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A peer whose behaviour a test scripts: which blocks it claims, whether it starts choked, and
 * how it answers GetBlocks (honestly, with corrupt data, with blocks nobody asked for, or never).
 * It joins the swarm through the tracker like any peer and logs the blocks it was asked for.
 */
public final class ScriptedPeer implements AutoCloseable {
  /** How it answers GetBlocks. */
  public enum Behaviour {
    /** Sends the real blocks. */
    HONEST,
    /** Sends blocks of the right length full of random bytes. */
    CORRUPT,
    /** Sends a real-looking block under an index nobody asked for. */
    WRONG_INDEX,
    /** Accepts the call and never sends anything. */
    STALL
  }

  private final Server server;
  private final Service service;

  private ScriptedPeer(Server server, Service service) {
    this.server = server;
    this.service = service;
  }

  /**
   * Starts a scripted peer named {@code name} in {@code swarm}, claiming the blocks of
   * {@code file} set in {@code claims}.
   */
  public static ScriptedPeer join(LocalSwarm swarm, String name, TestFiles.SharedFile file,
      io.minibit.core.Bitfield claims, Behaviour behaviour, boolean startChoked)
      throws IOException {
    Service service = new Service(file, claims, behaviour, startChoked);
    // A direct executor handles calls in the order they arrive, so the log is the request order.
    Server server = InProcessServerBuilder.forName(swarm.address(name))
        .directExecutor()
        .addService(service)
        .build()
        .start();
    announce(swarm.trackerStub(), name, file, claims, swarm.host(name), LocalSwarm.PORT);
    return new ScriptedPeer(server, service);
  }

  /**
   * Starts a scripted peer named {@code name} on a TCP port of 127.0.0.1 and announces it to a
   * real tracker, unchoked, claiming the blocks of {@code file} set in {@code claims}.
   */
  public static ScriptedPeer joinOverTcp(TrackerServiceGrpc.TrackerServiceBlockingStub tracker,
      String name,
      TestFiles.SharedFile file, io.minibit.core.Bitfield claims, Behaviour behaviour)
      throws IOException {
    Service service = new Service(file, claims, behaviour, false);
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(service)
        .build()
        .start();
    announce(tracker, name, file, claims, "127.0.0.1", server.getPort());
    return new ScriptedPeer(server, service);
  }

  private static void announce(TrackerServiceGrpc.TrackerServiceBlockingStub tracker, String name,
      TestFiles.SharedFile file, io.minibit.core.Bitfield claims, String host, int port) {
    String infohash = file.torrent().infoHash().hex();
    try {
      tracker.getManifest(GetManifestRequest.newBuilder().setInfohash(infohash).build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
        throw e;
      }
      // nobody published it yet (a peer that did owns the name: publishing again would be refused)
      tracker.publish(TestKeys.publish(file.torrent().manifest(), Instant.now()));
    }
    tracker.announce(TestKeys.proven(AnnounceRequest.newBuilder()
        .setInfohash(infohash)
        .setPeerId(TestKeys.peerId("scripted-" + name))
        .setHost(host)
        .setPort(port)
        .setEvent(AnnounceEvent.ANNOUNCE_EVENT_STARTED)
        .setComplete(claims.isComplete())
        .setHaveCount(claims.cardinality()), Instant.now())
        .build());
  }

  /** The port it listens on, for a peer started with {@link #joinOverTcp}. */
  public int port() {
    return server.getPort();
  }

  /** Blocks it has sent. */
  public int blocksSent() {
    return service.sent.get();
  }

  /** GetBlocks calls it has served (choked ones not counted). */
  public int calls() {
    return service.calls.get();
  }

  /** GetBlocks calls that let it choose which of the blocks listed to send. */
  public int choices() {
    return service.choices.get();
  }

  /** Every block index it was asked to send, in order (of a choice, those it chose). */
  public List<Integer> requested() {
    return List.copyOf(service.requested);
  }

  /** Subscribe streams open on it. */
  public int subscribers() {
    return service.subscribers.size();
  }

  /** Sends UNCHOKE on every open Subscribe stream, and serves from now on. */
  public void unchokeAll() {
    service.choked = false;
    for (ServerCallStreamObserver<SubscribeResponse> subscriber : service.subscribers) {
      synchronized (subscriber) {
        subscriber.onNext(SubscribeResponse.newBuilder().setUnchoke(Unchoke.getDefaultInstance())
            .build());
      }
    }
  }

  /** Writes {@code event} on every open Subscribe stream (a peer list, say). */
  public void sendToSubscribers(SubscribeResponse event) {
    for (ServerCallStreamObserver<SubscribeResponse> subscriber : service.subscribers) {
      synchronized (subscriber) {
        subscriber.onNext(event);
      }
    }
  }

  @Override
  public void close() {
    server.shutdownNow();
  }

  private static final class Service extends PeerServiceGrpc.PeerServiceImplBase {
    private final TestFiles.SharedFile file;
    private final io.minibit.core.Bitfield claims;
    private final Behaviour behaviour;
    private final AtomicInteger sent = new AtomicInteger();
    private final AtomicInteger calls = new AtomicInteger();
    private final List<Integer> requested = new CopyOnWriteArrayList<>();
    private final AtomicInteger choices = new AtomicInteger();
    private final List<ServerCallStreamObserver<SubscribeResponse>> subscribers =
        new CopyOnWriteArrayList<>();
    private final Random random = new Random(99);
    private volatile boolean choked;

    Service(TestFiles.SharedFile file, io.minibit.core.Bitfield claims, Behaviour behaviour,
        boolean startChoked) {
      this.file = file;
      this.claims = claims;
      this.behaviour = behaviour;
      this.choked = startChoked;
    }

    @Override
    public void ping(PingRequest request, StreamObserver<PingResponse> response) {
      response.onNext(PingResponse.newBuilder().setPeerId("scripted").build());
      response.onCompleted();
    }

    @Override
    public void subscribe(SubscribeRequest request, StreamObserver<SubscribeResponse> response) {
      ServerCallStreamObserver<SubscribeResponse> stream =
          (ServerCallStreamObserver<SubscribeResponse>) response;
      synchronized (stream) {
        stream.onNext(SubscribeResponse.newBuilder().setBitfield(Bitfield.newBuilder()
            .setBlockCount(claims.size())
            .setBits(ByteString.copyFrom(claims.toBytes()))).build());
        stream.onNext(choked
            ? SubscribeResponse.newBuilder().setChoke(Choke.getDefaultInstance()).build()
            : SubscribeResponse.newBuilder().setUnchoke(Unchoke.getDefaultInstance()).build());
      }
      subscribers.add(stream);
    }

    @Override
    public void getBlocks(GetBlocksRequest request, StreamObserver<GetBlocksResponse> response) {
      if (choked) {
        response.onError(new io.minibit.core.MinibitException(
            io.minibit.core.ErrorReason.CHOKED, java.util.Map.of(), "choked").toStatusException());
        return;
      }
      calls.incrementAndGet();
      // Told to choose, it sends the first max_blocks listed.
      List<Integer> toSend = request.getIndicesList();
      if (request.getMaxBlocks() > 0 && request.getMaxBlocks() < toSend.size()) {
        toSend = toSend.subList(0, request.getMaxBlocks());
        choices.incrementAndGet();
      }
      requested.addAll(toSend);
      if (behaviour == Behaviour.STALL) {
        return; // never answers: the caller's deadline or a faster peer must step in
      }
      int count = file.torrent().blockCount();
      for (int index : toSend) {
        byte[] data = file.block(index);
        if (behaviour == Behaviour.CORRUPT) {
          data = new byte[data.length];
          synchronized (random) {
            random.nextBytes(data);
          }
        }
        int sentIndex = behaviour == Behaviour.WRONG_INDEX ? (index + 1) % count : index;
        response.onNext(GetBlocksResponse.newBuilder().setIndex(sentIndex)
            .setData(ByteString.copyFrom(data)).build());
        sent.incrementAndGet();
      }
      response.onCompleted();
    }
  }
}
