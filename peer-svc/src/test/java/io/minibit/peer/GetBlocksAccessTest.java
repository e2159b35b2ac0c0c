package io.minibit.peer;

import static io.minibit.core.testing.MinibitAssertions.assertReason;
import static io.minibit.core.testing.MinibitAssertions.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.ErrorInfo;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.minibit.api.v2.GetBlocksRequest;
import io.minibit.api.v2.GetBlocksResponse;
import io.minibit.api.v2.PeerServiceGrpc;
import io.minibit.api.v2.ShareRequest;
import io.minibit.core.ErrorReason;
import io.minibit.core.grpc.Channels;
import io.minibit.core.testing.TestFiles;
import io.minibit.peer.server.PeerGrpcService;
import io.minibit.peer.testing.LocalSwarm;
import io.minibit.peer.testing.LocalSwarm.Peer;
import io.minibit.peer.testing.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Who a peer serves blocks to over the network: a subscriber, on its own connection, with a
 * bounded number of calls open.
 */
class GetBlocksAccessTest {
  private static final int BLOCK = 64 * 1024;

  @RegisterExtension
  final LocalSwarm swarm = LocalSwarm.builder().build();
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void stop() {
    channels.forEach(Channels::close);
  }

  private ManagedChannel channelTo(Peer peer) {
    ManagedChannel channel = Channels.forTarget("127.0.0.1:" + peer.daemon().peerPort());
    channels.add(channel);
    return channel;
  }

  private String seed(Peer seeder, int blocks) throws Exception {
    TestFiles.createFile(seeder.dataDir(), "s.bin", blocks * BLOCK, 5);
    return seeder.control().share(ShareRequest.newBuilder().setPath("s.bin").setBlockSize(BLOCK)
        .build()).getInfohash();
  }

  @Test
  void blocksGoToASubscriberOnItsOwnConnectionNotToWhoeverClaimsItsId() throws Exception {
    Peer seeder = swarm.networkPeer("seeder", 0, config -> config);
    String infohash = seed(seeder, 4);
    ManagedChannel subscriber = channelTo(seeder);
    ManagedChannel impostor = channelTo(seeder);
    GetBlocksRequest request = GetBlocksRequest.newBuilder().setInfohash(infohash)
        .setPeerId("honest").addIndices(0).build();

    StatusRuntimeException unsubscribed = assertThrows(StatusRuntimeException.class,
        () -> PeerServiceGrpc.newBlockingStub(subscriber).withDeadlineAfter(10, TimeUnit.SECONDS)
            .getBlocks(request).next());
    assertReason(ErrorReason.NOT_SUBSCRIBED, unsubscribed);
    assertTrue(unsubscribed.getStatus().getDescription().contains("subscribe first"),
        unsubscribed.toString());
    try (Subscription subscribed = Subscription.open(subscriber, infohash, "honest")) {
      assertEquals(0, PeerServiceGrpc.newBlockingStub(subscriber)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .getBlocks(request).next().getIndex());
      assertStatus(Status.Code.FAILED_PRECONDITION, () -> PeerServiceGrpc.newBlockingStub(impostor)
          .withDeadlineAfter(10, TimeUnit.SECONDS).getBlocks(request).next());
    }
  }

  @Test
  void onePeerKeepsABoundedNumberOfCallsOpen() throws Exception {
    Peer seeder = swarm.networkPeer("seeder", 0, config -> config);
    int blocks = 64;
    String infohash = seed(seeder, blocks);
    ManagedChannel channel = channelTo(seeder);
    GetBlocksRequest.Builder all = GetBlocksRequest.newBuilder().setInfohash(infohash)
        .setPeerId("greedy");
    for (int i = 0; i < blocks; i++) {
      all.addIndices(i);
    }
    try (Subscription subscribed = Subscription.open(channel, infohash, "greedy")) {
      // calls that never read stay open on the seeder, each with its blocks to send
      List<ClientCall<GetBlocksRequest, GetBlocksResponse>> open = new ArrayList<>();
      List<CompletableFuture<StatusRuntimeException>> ends = new ArrayList<>();
      for (int i = 0; i <= PeerGrpcService.MAX_CALLS_PER_PEER; i++) {
        ClientCall<GetBlocksRequest, GetBlocksResponse> call =
            channel.newCall(PeerServiceGrpc.getGetBlocksMethod(),
            CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS));
        CompletableFuture<StatusRuntimeException> ended = new CompletableFuture<>();
        call.start(new ClientCall.Listener<>() {
          @Override
          public void onClose(Status status, Metadata trailers) {
            ended.complete(status.asRuntimeException(trailers));
          }
        }, new Metadata());
        call.sendMessage(all.build());
        call.halfClose();
        open.add(call);
        ends.add(ended);
      }

      // the seeder takes the calls on several threads: whichever comes last is refused
      io.minibit.core.testing.Await.until(java.time.Duration.ofSeconds(30), "a call refused",
          () -> ends.stream().anyMatch(CompletableFuture::isDone));
      List<StatusRuntimeException> ended = ends.stream().filter(CompletableFuture::isDone)
          .map(CompletableFuture::join).toList();
      assertEquals(1, ended.size(), "one call over the bound ended: " + ended);
      StatusRuntimeException refused = ended.get(0);
      ErrorInfo overLimit = assertReason(ErrorReason.OVER_LIMIT, refused);
      assertEquals(Map.of("limit", "calls_per_peer",
          "max", String.valueOf(PeerGrpcService.MAX_CALLS_PER_PEER)), overLimit.getMetadataMap());
      assertTrue(refused.getStatus().getDescription().contains("GetBlocks calls open"),
          refused.toString());
      open.forEach(call -> call.cancel("done", null));
      // once they have ended, the peer may call again
      for (CompletableFuture<StatusRuntimeException> end : ends) {
        end.get(30, TimeUnit.SECONDS);
      }
      GetBlocksRequest one = GetBlocksRequest.newBuilder().setInfohash(infohash)
          .setPeerId("greedy").addIndices(3).build();
      io.minibit.core.testing.Await.until(java.time.Duration.ofSeconds(10),
          "the seeder to count the calls as ended", () -> {
            try {
              return PeerServiceGrpc.newBlockingStub(channel)
                  .withDeadlineAfter(10, TimeUnit.SECONDS)
                  .getBlocks(one).next().getIndex() == 3;
            } catch (io.grpc.StatusRuntimeException e) {
              return false;
            }
          });
    }
  }
}
