package io.minibit.peer.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.minibit.api.v2.ListTorrentsRequest;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.Torrent;
import io.minibit.core.grpc.Channels;
import io.minibit.core.store.BlockStore;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.MutableClock;
import io.minibit.core.testing.TestKeys;
import io.minibit.core.testing.TestFiles;
import io.minibit.peer.policy.Choker;
import io.minibit.peer.session.TorrentSession;
import io.minibit.tracker.TrackerConfig;
import io.minibit.tracker.TrackerServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The announcer against an in-process tracker: which calls it makes to stay in the swarms, and
 * how soon it is back in them when the tracker loses it. The tracker's intervals are chosen so
 * that the behaviour under test is the only way to pass within the await's bound.
 */
class AnnouncerTest {
  private static final Duration AWAIT = Duration.ofSeconds(20);
  private static final Duration HOUR = Duration.ofHours(1);

  @TempDir Path dir;

  private final String name = InProcessServerBuilder.generateName();
  private final MutableClock trackerClock = new MutableClock();
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final List<BlockStore> stores = new ArrayList<>();
  private TrackerConfig config;
  private TrackerServer tracker;
  private ManagedChannel channel;
  private ManagedChannel observer;
  private Announcer announcer;

  @AfterEach
  void stop() throws IOException {
    if (announcer != null) {
      announcer.close();
    }
    for (ManagedChannel c : new ManagedChannel[] {channel, observer}) {
      if (c != null) {
        Channels.close(c);
      }
    }
    if (tracker != null) {
      tracker.close();
    }
    for (BlockStore store : stores) {
      store.close();
    }
  }

  /** A tracker that asks for heartbeats and re-announces at the given intervals. */
  private void startTracker(Duration heartbeat, Duration announce) throws IOException {
    config = new TrackerConfig(0, dir.resolve("tracker"), heartbeat, announce, 50, true);
    tracker = TrackerServer.start(config, InProcessServerBuilder.forName(name).directExecutor(),
        trackerClock, new Random(3));
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    observer = InProcessChannelBuilder.forName(name).directExecutor().build();
    TrackerClient client = new TrackerClient(
        ClientInterceptors.intercept(channel, new Counting()), "in-process tracker",
        channel::resetConnectBackoff, TestKeys.key("announcer"), trackerClock);
    announcer = new Announcer(client, TestKeys.peerId("announcer"), "10.0.0.1", 6881,
        new Random(4));
  }

  private void restartTracker() throws IOException {
    tracker.close();
    tracker = TrackerServer.start(config, InProcessServerBuilder.forName(name).directExecutor(),
        trackerClock, new Random(5));
  }

  /** Counts the announcer's calls by method. */
  private final class Counting implements ClientInterceptor {
    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method,
        CallOptions options, Channel next) {
      calls.computeIfAbsent(method.getBareMethodName(), m -> new AtomicInteger())
          .incrementAndGet();
      return next.newCall(method, options);
    }
  }

  private int calls(String method) {
    AtomicInteger n = calls.get(method);
    return n == null ? 0 : n.get();
  }

  /** A published torrent of which this peer holds every block, or none. */
  private TorrentSession session(String file, boolean complete) throws IOException {
    Path seedDir = Files.createDirectories(dir.resolve("files"));
    Torrent torrent = TestFiles.torrentFor(
        TestFiles.createFile(seedDir, file, 100_000, file.hashCode()), 16 * 1024);
    TrackerServiceGrpc.newBlockingStub(observer).withDeadlineAfter(10, TimeUnit.SECONDS)
        .publish(TestKeys.publish(torrent.manifest(), trackerClock.instant()));
    BlockStore store = complete ? BlockStore.openComplete(torrent, seedDir.resolve(file))
        : BlockStore.openPartial(torrent, Files.createDirectories(dir.resolve("partial")));
    stores.add(store);
    return new TorrentSession(torrent, store, Clock.systemUTC(), Runnable::run,
        (delay, task) -> { },
        new Choker(Choker.Mode.TIT_FOR_TAT, 4, Duration.ofSeconds(10), new Random(6)), false);
  }

  /** The swarm of {@code session} as the tracker counts it: seeders + leechers, or -1. */
  private int swarmSize(TorrentSession session) {
    return TrackerServiceGrpc.newBlockingStub(observer).withDeadlineAfter(10, TimeUnit.SECONDS)
        .listTorrents(ListTorrentsRequest.getDefaultInstance()).getTorrentsList().stream()
        .filter(t -> t.getInfohash().equals(session.torrent().infoHash().hex()))
        .mapToInt(t -> t.getSeeders() + t.getLeechers()).findFirst().orElse(-1);
  }

  @Test
  void aSeederThatAnnouncesEveryHeartbeatIntervalSendsNoHeartbeat() throws IOException {
    startTracker(Duration.ofSeconds(1), Duration.ofSeconds(1));
    announcer.add(session("seeded.bin", true), peers -> { });

    Await.until(AWAIT, "four announces", () -> calls("Announce") >= 4);

    assertEquals(0, calls("Heartbeat"), "every announce kept the session alive");
  }

  @Test
  void aSeederThatAnnouncesLessOftenStillHeartbeats() throws IOException {
    startTracker(Duration.ofSeconds(1), HOUR);
    announcer.add(session("seeded.bin", true), peers -> { });

    Await.until(AWAIT, "two heartbeats", () -> calls("Heartbeat") >= 2);

    assertEquals(1, calls("Announce"));
  }

  @Test
  void aPeerIsBackInARestartedTrackersSwarmsAtOnceWhateverItsIntervals() throws IOException {
    startTracker(HOUR, HOUR);
    TorrentSession seeded = session("seeded.bin", true);
    announcer.add(seeded, peers -> { });
    Await.until(AWAIT, "the seeder registered", () -> swarmSize(seeded) == 1);

    restartTracker();
    assertEquals(0, swarmSize(seeded), "a restarted tracker starts with empty swarms");

    // Neither a heartbeat nor an announce is due for an hour: only the end of the tracker's
    // health stream can have told the announcer.
    Await.until(AWAIT, "the seeder registered again", () -> swarmSize(seeded) == 1);
  }

  @Test
  void anAnnounceThatOpensANewSessionAnnouncesTheOtherTorrentsAgain() throws IOException {
    // The download announces every 5 s; the seed, every hour.
    startTracker(HOUR, HOUR);
    TorrentSession seeded = session("seeded.bin", true);
    TorrentSession downloading = session("wanted.bin", false);
    announcer.add(seeded, peers -> { });
    announcer.add(downloading, peers -> { });
    Await.until(AWAIT, "both registered",
        () -> swarmSize(seeded) == 1 && swarmSize(downloading) == 1);

    // The tracker expires the session (its clock runs past three heartbeat intervals) while
    // its health stream stays open: only the next announce of the download can tell.
    trackerClock.advance(HOUR.multipliedBy(4));
    Await.until(AWAIT, "the session expired", () -> swarmSize(seeded) == 0);

    Await.until(AWAIT, "the seed announced again with the download",
        () -> swarmSize(seeded) == 1 && swarmSize(downloading) == 1);
  }
}
