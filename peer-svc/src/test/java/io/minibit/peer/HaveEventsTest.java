package io.minibit.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v2.PeerServiceGrpc;
import io.minibit.api.v2.ShareRequest;
import io.minibit.api.v2.SubscribeRequest;
import io.minibit.api.v2.SubscribeResponse;
import io.minibit.api.v2.TransferState;
import io.minibit.core.Bitfield;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.TestFiles;
import io.minibit.peer.testing.LocalSwarm;
import io.minibit.peer.testing.LocalSwarm.Peer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The HAVEs a downloading daemon sends its subscribers, over gRPC, as the blocks come in. */
class HaveEventsTest {
  private static final int BLOCK = 16 * 1024;
  private static final int BLOCKS = 192;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @RegisterExtension
  final LocalSwarm swarm = LocalSwarm.builder().build();
  private final List<Context.CancellableContext> subscriptions = new ArrayList<>();

  @AfterEach
  void unsubscribe() {
    subscriptions.forEach(subscription -> subscription.cancel(null));
  }

  @Test
  void aSubscriberThatTakesListsHearsOfEveryBlockInFewerEventsAndAnotherGetsAHaveEach()
      throws Exception {
    // 3 MiB at 1 MiB/s: about three seconds, 64 blocks a second
    Peer seeder = swarm.peer("seeder", c -> c.withUploadLimit(1024 * 1024));
    Peer leecher = swarm.peer("leecher");
    TestFiles.createFile(seeder.dataDir(), "f.bin", BLOCKS * BLOCK, 5);
    String infohash = seeder.control().share(ShareRequest.newBuilder().setPath("f.bin")
        .setBlockSize(BLOCK).build()).getInfohash();

    CompletableFuture<io.minibit.api.v2.Transfer> done = leecher.downloadAsync(infohash);
    List<SubscribeResponse> lists = subscribe(infohash, "list-taker", true);
    List<SubscribeResponse> single = subscribe(infohash, "one-by-one", false);
    assertEquals(TransferState.TRANSFER_STATE_SEEDING, done.get().getState());

    Set<Integer> all = IntStream.range(0, BLOCKS).boxed().collect(Collectors.toSet());
    Await.until(TIMEOUT, "every block told to both", () -> told(lists).equals(all)
        && told(single).equals(all));
    List<Integer> listed = lists.stream().filter(SubscribeResponse::hasHaveList)
        .flatMap(e -> e.getHaveList().getIndicesList().stream()).toList();
    assertEquals(listed.size(), new HashSet<>(listed).size(), "no block named twice");
    long listEvents = lists.stream().filter(SubscribeResponse::hasHaveList).count();
    assertTrue(listEvents * 2 < listed.size(), listEvents + " lists for " + listed.size()
        + " blocks: a list holds the blocks of a window, a few at this rate");
    assertTrue(lists.stream().noneMatch(SubscribeResponse::hasHave), "lists only");
    assertTrue(single.stream().noneMatch(SubscribeResponse::hasHaveList), "Have events only");
  }

  /**
   * Subscribes to the leecher's session as {@code peerId} once it exists; the events go to the
   * list returned, from the bitfield on.
   */
  private List<SubscribeResponse> subscribe(String infohash, String peerId, boolean haveLists) {
    List<SubscribeResponse> events = new CopyOnWriteArrayList<>();
    Await.until(TIMEOUT, "a subscription to the leecher", () -> {
      CompletableFuture<Status> opened = new CompletableFuture<>();
      Context.CancellableContext subscription = Context.current().withCancellation();
      subscription.run(() -> PeerServiceGrpc.newStub(swarm.channel(swarm.address("leecher")))
          .subscribe(SubscribeRequest.newBuilder().setInfohash(infohash).setPeerId(peerId)
              .setHaveLists(haveLists).build(), new StreamObserver<>() {
                @Override
                public void onNext(SubscribeResponse event) {
                  events.add(event);
                  opened.complete(Status.OK);
                }

                @Override
                public void onError(Throwable t) {
                  opened.complete(Status.fromThrowable(t));
                }

                @Override
                public void onCompleted() {
                  opened.complete(Status.UNKNOWN);
                }
              }));
      Status status = opened.join();
      if (status.isOk()) {
        subscriptions.add(subscription);
        return true;
      }
      if (status.getCode() != Status.Code.NOT_FOUND) { // only the session's start is waited for
        throw new StatusRuntimeException(status);
      }
      return false;
    });
    return events;
  }

  /** The blocks {@code events} said the leecher holds: its bitfield, then its HAVEs. */
  private static Set<Integer> told(List<SubscribeResponse> events) {
    Set<Integer> held = new HashSet<>();
    for (SubscribeResponse event : events) {
      if (event.hasBitfield()) {
        Bitfield bits = Bitfield.fromBytes(BLOCKS, event.getBitfield().getBits().toByteArray());
        bits.setBits().forEach(held::add);
      } else if (event.hasHave()) {
        held.add(event.getHave().getIndex());
      } else if (event.hasHaveList()) {
        held.addAll(event.getHaveList().getIndicesList());
      }
    }
    return held;
  }
}
