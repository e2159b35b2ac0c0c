package io.minibit.peer.testing;

import com.google.protobuf.ByteString;
import io.grpc.Server;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v1.AnnounceEvent;
import io.minibit.api.v1.AnnounceRequest;
import io.minibit.api.v1.Bitfield;
import io.minibit.api.v1.Block;
import io.minibit.api.v1.GetBlocksRequest;
import io.minibit.api.v1.PeerEvent;
import io.minibit.api.v1.PeerGrpc;
import io.minibit.api.v1.PingRequest;
import io.minibit.api.v1.PingResponse;
import io.minibit.api.v1.SubscribeRequest;
import io.minibit.core.Torrent;
import java.io.IOException;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A peer that claims every block of a torrent and misbehaves when asked for them. It joins the
 * swarm through the tracker like any peer, so downloaders meet it on their own.
 */
public final class RoguePeer implements AutoCloseable {
  /** How it misbehaves. */
  public enum Mode {
    /** Sends blocks of the right length full of random bytes. */
    CORRUPT,
    /** Sends a real-looking block under an index nobody asked for. */
    WRONG_INDEX
  }

  private final Server server;
  private final AtomicInteger blocksSent;

  private RoguePeer(Server server, AtomicInteger blocksSent) {
    this.server = server;
    this.blocksSent = blocksSent;
  }

  /** Starts a rogue peer named {@code name} in {@code swarm} claiming all of {@code torrent}. */
  public static RoguePeer join(LocalSwarm swarm, String name, Torrent torrent, Mode mode)
      throws IOException {
    AtomicInteger sent = new AtomicInteger();
    Server server = InProcessServerBuilder.forName(swarm.address(name))
        .addService(new Service(torrent, mode, sent))
        .build()
        .start();
    swarm.trackerStub().announce(AnnounceRequest.newBuilder()
        .setInfohash(torrent.infoHash().hex())
        .setPeerId("rogue-" + name)
        .setHost(swarm.host(name))
        .setPort(LocalSwarm.PORT)
        .setEvent(AnnounceEvent.ANNOUNCE_EVENT_STARTED)
        .setComplete(true)
        .setHaveCount(torrent.blockCount())
        .build());
    return new RoguePeer(server, sent);
  }

  /** Blocks it has sent, all of them bad. */
  public int blocksSent() {
    return blocksSent.get();
  }

  @Override
  public void close() {
    server.shutdownNow();
  }

  private static final class Service extends PeerGrpc.PeerImplBase {
    private final Torrent torrent;
    private final Mode mode;
    private final AtomicInteger sent;
    private final Random random = new Random(99);

    Service(Torrent torrent, Mode mode, AtomicInteger sent) {
      this.torrent = torrent;
      this.mode = mode;
      this.sent = sent;
    }

    @Override
    public void ping(PingRequest request, StreamObserver<PingResponse> response) {
      response.onNext(PingResponse.newBuilder().setPeerId("rogue").build());
      response.onCompleted();
    }

    @Override
    public void subscribe(SubscribeRequest request, StreamObserver<PeerEvent> response) {
      io.minibit.core.Bitfield all = io.minibit.core.Bitfield.full(torrent.blockCount());
      response.onNext(PeerEvent.newBuilder().setBitfield(Bitfield.newBuilder()
          .setBlockCount(all.size())
          .setBits(ByteString.copyFrom(all.toBytes()))).build());
    }

    @Override
    public void getBlocks(GetBlocksRequest request, StreamObserver<Block> response) {
      for (int index : request.getIndicesList()) {
        byte[] junk = new byte[torrent.blockLength(index)];
        synchronized (random) {
          random.nextBytes(junk);
        }
        int sentIndex = mode == Mode.WRONG_INDEX ? (index + 1) % torrent.blockCount() : index;
        response.onNext(Block.newBuilder().setIndex(sentIndex)
            .setData(ByteString.copyFrom(junk)).build());
        sent.incrementAndGet();
      }
      response.onCompleted();
    }
  }
}
