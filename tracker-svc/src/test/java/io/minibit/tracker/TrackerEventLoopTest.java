package io.minibit.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.minibit.api.v2.ListTorrentsRequest;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.grpc.Channels;
import io.minibit.core.grpc.ServerLimits;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.MutableClock;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrackerEventLoopTest {
  @TempDir Path dataDir;

  private static long networkThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("tracker-network")).count();
  }

  @Test
  void oneThreadAcceptsAndServesEveryConnectionAndStopsWithTheLoop() throws Exception {
    List<ManagedChannel> channels = new ArrayList<>();
    TrackerEventLoop loop = new TrackerEventLoop();
    try {
      TrackerServer server = TrackerServer.start(TrackerConfig.defaults(dataDir).withPort(0),
          loop.applyTo(ServerLimits.TRACKER.applyTo(
              NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)))),
          new MutableClock(), new Random(1));
      try {
        for (int i = 0; i < 4; i++) {
          ManagedChannel channel = Channels.forTarget("127.0.0.1:" + server.port());
          channels.add(channel);
          TrackerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
              .listTorrents(ListTorrentsRequest.getDefaultInstance());
        }
        assertEquals(1, networkThreads(), "four connections, one network thread");
      } finally {
        channels.forEach(Channels::close);
        server.close();
      }
    } finally {
      loop.close();
    }
    // the loop's termination is signalled from its thread, just before that thread exits
    Await.until(Duration.ofSeconds(10), "the thread ends with the loop",
        () -> networkThreads() == 0);
  }
}
