package io.minibit.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.api.v2.ShareRequest;
import io.minibit.api.v2.Transfer;
import io.minibit.api.v2.TransferPeer;
import io.minibit.api.v2.TransferState;
import io.minibit.core.testing.DelayProxy;
import io.minibit.core.testing.FreePorts;
import io.minibit.core.testing.TestFiles;
import io.minibit.peer.testing.LocalSwarm;
import io.minibit.peer.testing.LocalSwarm.Peer;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * One near and one far seeder over real loopback TCP, the far one behind a proxy that adds
 * latency (and with less upload, as far peers tend to have): the far peer's RTT is measured
 * through the proxy, and the latency-weighted allocation gets fewer blocks from it, where an even
 * split takes half. That it finishes sooner than the even split is checked on a test clock
 * (SchedulerTest): here the times are only printed, as on a busy machine they prove nothing.
 */
class LatencyAllocationTest {
  private static final int BLOCK = 64 * 1024;
  private static final int SIZE = 12 * 1024 * 1024;
  private static final Duration ONE_WAY_DELAY = Duration.ofMillis(50);

  @TempDir Path root;
  @RegisterExtension
  final LocalSwarm swarm = LocalSwarm.builder().build();
  private DelayProxy proxy;

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
  }

  /** Downloads with the named allocation; returns the transfer and how long it took. */
  private Result fetch(String name, String allocation, String infohash) throws Exception {
    Peer peer = swarm.networkPeer(name, 0,
        c -> c.withSwarm(c.swarm().withAllocation(allocation)));
    long started = System.nanoTime();
    Transfer done = peer.download(infohash);
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    assertEquals(TransferState.TRANSFER_STATE_SEEDING, done.getState());
    assertArrayEquals(Files.readAllBytes(root.resolve("shared.bin")),
        Files.readAllBytes(peer.dataDir().resolve("shared.bin")));
    peer.close(); // leaves the swarm, so the next download sees the two seeders only
    return new Result(done, took);
  }

  private record Result(Transfer transfer, Duration took) {
    TransferPeer from(String address) {
      return transfer.getPeersList().stream().filter(p -> p.getAddress().equals(address))
          .findFirst().orElseThrow(() -> new AssertionError(address + " in " + transfer));
    }

    double share(String address) {
      return (double) from(address).getBlocksReceived() / transfer.getBlockCount();
    }
  }

  @Test
  void theFarPeerServesFewerBlocksWhereAnEvenSplitTakesHalf() throws Exception {
    TestFiles.createFile(root, "shared.bin", SIZE, 31);
    Peer near = swarm.networkPeer("near", 0, c -> c.withUploadLimit(8L * 1024 * 1024));
    int farPort = FreePorts.next();
    proxy = DelayProxy.start(new InetSocketAddress("127.0.0.1", farPort), ONE_WAY_DELAY);
    Peer far = swarm.networkPeer("far", farPort,
        c -> c.withUploadLimit(1024L * 1024).withAdvertised("127.0.0.1", proxy.port()));
    String infohash = null;
    for (Peer seeder : new Peer[] {near, far}) {
      Files.copy(root.resolve("shared.bin"), seeder.dataDir().resolve("shared.bin"));
      infohash = seeder.control().share(
          ShareRequest.newBuilder().setPath("shared.bin").setBlockSize(BLOCK).build())
          .getInfohash();
    }
    String nearAddress = "127.0.0.1:" + near.daemon().peerPort();
    String farAddress = proxy.address();

    Result weighted = fetch("weighted", "latency", infohash);
    Result even = fetch("even", "even", infohash);

    TransferPeer farSeen = weighted.from(farAddress);
    assertTrue(farSeen.getRttMs() >= 2 * ONE_WAY_DELAY.toMillis(),
        "the far peer's RTT is measured: " + farSeen);
    assertTrue(weighted.from(nearAddress).getRttMs() < farSeen.getRttMs() / 2,
        weighted.from(nearAddress).toString());
    assertTrue(weighted.share(farAddress) < 0.35,
        "the far peer served " + weighted.share(farAddress) + " of the blocks");
    assertTrue(weighted.share(farAddress) < weighted.share(nearAddress));
    // How near half the even split comes depends on how busy the machine is (0.50 alone, 0.40
    // under a loaded build); its exact share is checked on a test clock in SchedulerTest. Here:
    // the even split leans on the far peer clearly more than the latency-weighted one.
    assertTrue(even.share(farAddress) > 0.3,
        "an even split gives the far peer about half: " + even.share(farAddress));
    assertTrue(even.share(farAddress) > weighted.share(farAddress) + 0.05,
        "even " + even.share(farAddress) + " vs weighted " + weighted.share(farAddress));
    System.out.printf("latency-weighted: %d ms, far share %.2f; even split: %d ms, far share "
            + "%.2f%n", weighted.took().toMillis(), weighted.share(farAddress),
        even.took().toMillis(), even.share(farAddress));
  }
}
