package io.minibit.peer.download;

import io.grpc.Status;
import io.minibit.core.Bitfield;
import io.minibit.core.Torrent;
import io.minibit.core.store.BlockStore;
import io.minibit.core.testing.MutableClock;
import io.minibit.core.testing.TestFiles;
import io.minibit.peer.policy.Allocation;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@link Scheduler} alone, for its tests: scripted links instead of the network, a clock and a
 * timer the test moves, and a pool the test runs by hand, so that what counts as one burst of
 * events is the test's call.
 */
abstract class SchedulerFixture {
  static final int BLOCK = 16 * 1024;

  @TempDir Path root;

  final MutableClock clock = new MutableClock();
  final ManualTimer timer = new ManualTimer();
  final Queue<Runnable> pool = new ArrayDeque<>();
  final Map<String, FakeLink> links = new LinkedHashMap<>();
  final List<Integer> stored = new ArrayList<>();
  final List<String> dropped = new ArrayList<>();
  final FetchStats stats = new FetchStats();
  boolean complete;
  Scheduler scheduler;
  SerialExecutor loop;
  DownloadLimiter limiter = DownloadLimiter.NONE;

  Torrent torrent(int blocks) throws IOException {
    return TestFiles.share(root, "t-" + blocks + ".bin", blocks * BLOCK, BLOCK, 5).torrent();
  }

  void start(Torrent torrent, Allocation allocation) {
    loop = new SerialExecutor(pool::add, () -> scheduler.flush());
    DownloadOutcome outcome = new DownloadOutcome() {
      @Override
      public void stored(int index) {
        stored.add(index);
      }

      @Override
      public void complete() {
        complete = true;
      }

      @Override
      public void writeFailed(IOException failure) {
        throw new AssertionError(failure);
      }

      @Override
      public void dropped(String peerId) {
        dropped.add(peerId);
      }
    };
    scheduler = new Scheduler(torrent, new Bitfield(torrent.blockCount()), "me",
        (address, events) -> {
          FakeLink link = new FakeLink(events);
          links.put(address, link);
          return link;
        }, loop, timer, clock, new Random(7), allocation, outcome, stats, limiter);
    onLoop(scheduler::start);
  }

  /** Runs what the loop has queued: one burst, then the refill. */
  void settle() {
    while (!pool.isEmpty()) {
      pool.poll().run();
    }
  }

  void onLoop(Runnable action) {
    loop.execute(action);
    settle();
  }

  /** A peer joins, answers its pings, shows {@code has} and unchokes us. */
  FakeLink join(String name, Bitfield has) {
    return join(name, has, Duration.ofMillis(5));
  }

  /** A peer {@code rtt} away joins, answers its pings, shows {@code has} and unchokes us. */
  FakeLink join(String name, Bitfield has, Duration rtt) {
    onLoop(() -> scheduler.addPeers(List.of(new PeerAddress(name + ":1", name))));
    FakeLink link = links.get(name + ":1");
    link.events.answered(link.generation, rtt, name, false);
    link.events.answered(link.generation, rtt, name, true);
    link.events.bitfield(link.generation, has);
    link.events.choked(link.generation, false);
    settle();
    return link;
  }

  static Bitfield blocks(int size, IntPredicate held) {
    Bitfield bits = new Bitfield(size);
    IntStream.range(0, size).filter(held).forEach(bits::set);
    return bits;
  }

  /** Every budget the same: {@code each} blocks in flight per peer. */
  static Allocation fixed(int each) {
    return new Allocation() {
      @Override
      public Map<String, Integer> budgets(List<PeerSample> peers, int blockSize) {
        Map<String, Integer> budgets = new HashMap<>();
        peers.forEach(peer -> budgets.put(peer.peer(), each));
        return budgets;
      }

      @Override
      public IntPredicate allowedBlocks(String peer, List<PeerSample> peers) {
        return index -> true;
      }
    };
  }

  /** A remote peer that does what the test says; records what it was asked. */
  final class FakeLink implements PeerLink {
    final Events events;
    final List<RemotePeer.Call> fetched = new ArrayList<>();
    final Set<RemotePeer.Call> cancelled = new HashSet<>();
    final Set<RemotePeer.Call> done = new HashSet<>();
    /** The deadline each call was given. */
    final Map<RemotePeer.Call, Duration> deadlines = new HashMap<>();
    int generation;
    int connects;
    int disconnects;
    int closes;

    FakeLink(Events events) {
      this.events = events;
    }

    @Override
    public void connect(int generation, int pings) {
      this.generation = generation;
      connects++;
    }

    @Override
    public void subscribe(int generation) {}

    @Override
    public void ping(int generation) {}

    @Override
    public void fetch(int generation, RemotePeer.Call call, Duration deadline) {
      fetched.add(call);
      deadlines.put(call, deadline);
    }

    @Override
    public void cancel(RemotePeer.Call call, String reason) {
      cancelled.add(call);
    }

    @Override
    public void disconnect(String reason) {
      disconnects++;
    }

    @Override
    public void close() {
      closes++;
    }

    List<Integer> asked() {
      return fetched.stream().flatMap(call -> call.asked.stream()).toList();
    }

    RemotePeer.Call callFor(int index) {
      return fetched.stream().filter(call -> call.asked.contains(index)).findFirst()
          .orElseThrow();
    }

    void deliver(RemotePeer.Call call, int index) {
      events.written(generation, call, index, BlockStore.WriteResult.STORED, BLOCK);
      settle();
    }

    void finish(RemotePeer.Call call) {
      done.add(call);
      events.ended(generation, call, Status.OK, Optional.empty());
      settle();
    }

    /** Sends up to {@code count} blocks still outstanding, ending the calls it empties. */
    void serve(int count) {
      int sent = 0;
      for (RemotePeer.Call call : List.copyOf(fetched)) {
        if (done.contains(call)) {
          continue;
        }
        for (int index : List.copyOf(call.outstanding)) {
          if (sent++ == count) {
            return;
          }
          deliver(call, index);
        }
        finish(call);
      }
    }

    /**
     * Sends up to {@code count} blocks of the calls made at least {@code rtt} ago, oldest call
     * first, as many of each as its limit lets the peer choose, and ends the calls it empties;
     * a call the download withdrew ends as cancelled. A block stored already is a duplicate.
     */
    void serveAsked(int count, Duration rtt) {
      Instant askedBy = clock.instant().minus(rtt);
      int sent = 0;
      for (RemotePeer.Call call : List.copyOf(fetched)) {
        if (done.contains(call)) {
          continue;
        }
        if (cancelled.contains(call)) {
          done.add(call);
          events.ended(generation, call, Status.CANCELLED, Optional.empty());
          settle();
          continue;
        }
        if (call.started.isAfter(askedBy)) {
          return;
        }
        for (int index : List.copyOf(call.outstanding)) {
          if (sent == count || cancelled.contains(call)) {
            return;
          }
          if (call.expected() == 0) {
            break;
          }
          events.written(generation, call, index, stored.contains(index)
              ? BlockStore.WriteResult.DUPLICATE : BlockStore.WriteResult.STORED, BLOCK);
          settle();
          sent++;
        }
        finish(call);
      }
    }

    /** Ends, as gRPC would, the calls not done whose deadline has passed. */
    void expire() {
      for (RemotePeer.Call call : List.copyOf(fetched)) {
        if (!done.contains(call)
            && !clock.instant().isBefore(call.started.plus(deadlines.get(call)))) {
          done.add(call);
          events.ended(generation, call, Status.DEADLINE_EXCEEDED, Optional.empty());
          settle();
        }
      }
    }

    int inFlight() {
      return fetched.stream().filter(call -> !done.contains(call))
          .mapToInt(call -> call.outstanding.size()).sum();
    }
  }

  /** Timers that fire when the test moves the clock. */
  final class ManualTimer implements LoopTimer {
    private record Due(Instant at, Runnable task) {}

    private final PriorityQueue<Due> due =
        new PriorityQueue<>((x, y) -> x.at().compareTo(y.at()));

    @Override
    public void after(Duration delay, Runnable task) {
      due.add(new Due(clock.instant().plus(delay), task));
    }

    void advance(Duration duration) {
      clock.advance(duration);
      while (!due.isEmpty() && !due.peek().at().isAfter(clock.instant())) {
        due.poll().task().run();
      }
    }
  }
}
