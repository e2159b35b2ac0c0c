package io.minibit.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.minibit.api.v2.GetBlocksRequest;
import io.minibit.api.v2.GetBlocksResponse;
import io.minibit.api.v2.PeerServiceGrpc;
import io.minibit.api.v2.ShareRequest;
import io.minibit.core.grpc.Channels;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.TestFiles;
import io.minibit.peer.testing.LocalSwarm;
import io.minibit.peer.testing.LocalSwarm.Peer;
import io.minibit.peer.testing.Subscription;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A caller that asks for many blocks and never reads them makes the serving peer stop at what
 * the flow-control windows hold: blocks are read from disk only as the transport drains.
 */
class SlowReaderTest {
  private static final int BLOCK = 256 * 1024;
  private static final int BLOCKS = 64;

  @RegisterExtension
  final LocalSwarm swarm = LocalSwarm.builder().build();
  private ManagedChannel channel;

  @AfterEach
  void stop() {
    if (channel != null) {
      Channels.close(channel);
    }
  }

  @Test
  void aReaderThatNeverReadsPinsOnlyAFewBlocks() throws Exception {
    Peer seeder = swarm.networkPeer("seeder", 0, config -> config);
    TestFiles.createFile(seeder.dataDir(), "big.bin", BLOCKS * BLOCK, 3);
    String infohash = seeder.control().share(ShareRequest.newBuilder().setPath("big.bin")
        .build()).getInfohash();
    channel = Channels.forTarget("127.0.0.1:" + seeder.daemon().peerPort());
    Subscription.open(channel, infohash, "slow-reader"); // as a downloader does, first

    ClientCall<GetBlocksRequest, GetBlocksResponse> call =
        channel.newCall(PeerServiceGrpc.getGetBlocksMethod(),
        CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS));
    AtomicInteger received = new AtomicInteger();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(GetBlocksResponse block) {
        received.incrementAndGet();
      }

      @Override
      public void onClose(Status status, Metadata trailers) {}
    }, new Metadata());
    GetBlocksRequest.Builder request = GetBlocksRequest.newBuilder().setInfohash(infohash)
        .setPeerId("slow-reader");
    for (int i = 0; i < BLOCKS; i++) {
      request.addIndices(i);
    }
    call.sendMessage(request.build());
    call.halfClose(); // and never call.request(n): nothing is read

    Await.until(Duration.ofSeconds(20), "the seeder to start sending",
        () -> uploaded(seeder, infohash) > 0);
    // Watch the seeder for two seconds: it must stall at what the windows hold.
    long most = 0;
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (System.nanoTime() < until) {
      most = Math.max(most, uploaded(seeder, infohash));
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
    long windows = 4L * 1024 * 1024 + 1024 * 1024; // the client's window and the server's
    System.out.printf("[slow reader] asked for %d MiB, the seeder sent %.1f MiB and stopped%n",
        BLOCKS * BLOCK >> 20, most / 1048576.0);
    assertTrue(most <= windows + 2L * BLOCK, "sent " + most + " bytes to a reader that reads "
        + "nothing; the windows hold " + windows);
    assertEquals(0, received.get());

    call.request(BLOCKS); // now read: the rest flows
    Await.until(Duration.ofSeconds(30), "every block once the reader reads",
        () -> received.get() == BLOCKS);
  }

  private static long uploaded(Peer peer, String infohash) {
    return peer.transfer(infohash).orElseThrow().getUploadedBytes();
  }
}
