package io.minibit.peer.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.util.ArrayList;
import java.util.List;
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
}
