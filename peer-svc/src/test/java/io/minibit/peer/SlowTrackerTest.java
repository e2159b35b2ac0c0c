package io.minibit.peer;

import static io.minibit.core.testing.MinibitAssertions.assertFailsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v2.PublishRequest;
import io.minibit.api.v2.PublishResponse;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.testing.TestFiles;
import io.minibit.peer.download.PeerChannels;
import io.minibit.peer.session.TorrentSession;
import java.nio.file.Path;
import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tracker that takes its time holds up the share that waits for it, and nothing else. */
class SlowTrackerTest {
  @TempDir Path root;

  private final CountDownLatch publishing = new CountDownLatch(1);
  private final CountDownLatch answer = new CountDownLatch(1);
  private Server tracker;
  private ManagedChannel trackerChannel;
  private PeerDaemon daemon;

  @AfterEach
  void stop() {
    answer.countDown();
    if (daemon != null) {
      daemon.close();
    }
    trackerChannel.shutdownNow();
    tracker.shutdownNow();
  }

  @Test
  void aShareWaitingForTheTrackerDoesNotHoldUpOtherControlCalls() throws Exception {
    String name = "slow-tracker-" + UUID.randomUUID();
    tracker = InProcessServerBuilder.forName(name).addService(
        new TrackerServiceGrpc.TrackerServiceImplBase() {
      @Override
      public void publish(PublishRequest request, StreamObserver<PublishResponse> response) {
        publishing.countDown();
        try {
          answer.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        response.onNext(PublishResponse.newBuilder().setCreated(true).build());
        response.onCompleted();
      }
    }).build().start();
    trackerChannel = InProcessChannelBuilder.forName(name).build();
    daemon = PeerDaemon.start(PeerConfig.defaults("in-process tracker", root.resolve("peer"))
            .withPorts(1, 0),
        InProcessServerBuilder.forName(name + "-peer"),
        InProcessServerBuilder.forName(name + "-control"), trackerChannel,
        new PeerChannels(target -> InProcessChannelBuilder.forName(target).build()),
        Clock.systemUTC());
    TestFiles.createFile(daemon.dataDir(), "f.bin", 100_000, 1);

    CompletableFuture<TorrentSession> share = CompletableFuture.supplyAsync(() -> {
      try {
        return daemon.share("f.bin", 0);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    publishing.await(30, TimeUnit.SECONDS);

    // while the tracker has not answered: a call that takes the daemon's lock answers at once
    CompletableFuture<Void> remove = CompletableFuture.runAsync(() -> assertFailsWith(
        ErrorCode.NOT_FOUND, () -> daemon.remove(InfoHash.parse("ab".repeat(32)), false)));
    remove.get(3, TimeUnit.SECONDS); // under the tracker calls' 5 s deadline: it did not wait

    answer.countDown();
    assertEquals("f.bin", share.get(30, TimeUnit.SECONDS).torrent().name());
  }
}
