package io.minibit.peer.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.minibit.core.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.junit.jupiter.api.Test;

class PeerChannelsTest {
  private final List<ManagedChannel> opened = new ArrayList<>();
  private final PeerChannels channels = new PeerChannels(target -> {
    ManagedChannel channel = InProcessChannelBuilder.forName(target).build();
    opened.add(channel);
    return channel;
  });

  @Test
  void aChannelIsSharedWhileHeldAndShutDownByItsLastRelease() {
    channels.acquire("a:1");
    channels.acquire("a:1");
    channels.acquire("b:1");
    assertEquals(2, opened.size(), "one channel per address");

    channels.release("a:1");
    assertFalse(opened.get(0).isShutdown(), "still held by the other download");
    channels.release("a:1");
    assertTrue(opened.get(0).isShutdown());
    assertEquals(1, channels.openChannels());

    channels.acquire("a:1");
    assertEquals(3, opened.size(), "a new one when needed again");
    channels.close();
    assertTrue(opened.stream().allMatch(ManagedChannel::isShutdown));
    assertEquals(0, channels.openChannels());
  }

  @Test
  void aReleasedChannelLingersForTheNextDownloadThenGoes() {
    ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
    timer.setRemoveOnCancelPolicy(true);
    try {
      PeerChannels lingering = channels.lingering(Duration.ofMillis(200), timer);
      lingering.acquire("a:1");
      lingering.release("a:1");
      assertFalse(opened.get(0).isShutdown(), "kept for a while");
      assertEquals(1, timer.getQueue().size(), "its shutdown is due");

      lingering.acquire("a:1");
      assertEquals(1, opened.size(), "the lingering channel is taken again, not a new one");
      assertEquals(0, timer.getQueue().size(), "held again: no shutdown is due");

      lingering.release("a:1");
      Await.until(Duration.ofSeconds(10), "the channel shut down once unused for its linger",
          () -> opened.get(0).isShutdown());
      assertEquals(0, lingering.openChannels());
    } finally {
      timer.shutdownNow();
    }
  }

  @Test
  void closingShutsDownLingeringChannelsToo() {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    try {
      PeerChannels lingering = channels.lingering(Duration.ofMinutes(1), timer);
      lingering.acquire("a:1");
      lingering.release("a:1");
      assertEquals(1, lingering.openChannels());

      lingering.close();

      assertTrue(opened.get(0).isShutdown());
      assertEquals(0, lingering.openChannels());
    } finally {
      timer.shutdownNow();
    }
  }
}
