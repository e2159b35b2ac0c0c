import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v2.AnnounceEvent;
import io.minibit.api.v2.AnnounceRequest;
import io.minibit.api.v2.HeartbeatRequest;
import io.minibit.api.v2.PublishRequest;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.ManifestBuilder;
import io.minibit.core.Torrent;
import io.minibit.core.identity.PeerKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Announce load on trackers, over gRPC on loopback: PEERS peers spread over TORRENTS torrents,
 * each announcing (STARTED once, then re-announces asking for 50 peers, and one heartbeat for
 * every four announces), with IN_FLIGHT calls outstanding, for SECONDS after a warm-up. With
 * several trackers (HOST:PORT,HOST:PORT; trackers sharing one store), each call goes to the next
 * tracker in turn, so a session opened on one is used on the others. Prints one JSON line:
 * announces per second, the p50/p99 latency of the measured ones, and heartbeats per second.
 *
 * <p>Run from the source with the tracker's jar as class path (it holds the API and gRPC):
 * {@code java -cp minibit-tracker.jar bench/TrackerLoad.java HOST:PORT[,...] PEERS TORRENTS
 * SECONDS IN_FLIGHT}; bench/tracker-load.sh does, and adds the trackers' CPU.
 */
public final class TrackerLoad {
  private static final java.util.concurrent.atomic.AtomicReference<Throwable> FIRST_FAILURE =
      new java.util.concurrent.atomic.AtomicReference<>();

  public static void main(String[] args) throws Exception {
    String target = args[0];
    int peers = Integer.parseInt(args[1]);
    int torrents = Integer.parseInt(args[2]);
    int seconds = Integer.parseInt(args[3]);
    int inFlight = Integer.parseInt(args[4]);
    String[] targets = target.split(",");
    ManagedChannel[] channels = new ManagedChannel[targets.length];
    TrackerServiceGrpc.TrackerServiceStub[] stubs =
        new TrackerServiceGrpc.TrackerServiceStub[targets.length];
    for (int i = 0; i < targets.length; i++) {
      channels[i] = NettyChannelBuilder.forTarget(targets[i]).usePlaintext().directExecutor()
          .build();
      stubs[i] = TrackerServiceGrpc.newStub(channels[i]);
    }
    var blocking = TrackerServiceGrpc.newBlockingStub(channels[0]);
    AtomicInteger turn = new AtomicInteger();
    java.util.function.Supplier<TrackerServiceGrpc.TrackerServiceStub> next =
        () -> stubs[Math.floorMod(turn.getAndIncrement(), stubs.length)];

    String[] infohashes = new String[torrents];
    PeerKey publisher = PeerKey.generate();
    Path dir = Files.createTempDirectory("tracker-load");
    for (int t = 0; t < torrents; t++) {
      Path file = dir.resolve("t" + t + ".bin");
      Files.write(file, ("torrent " + t + " " + System.nanoTime()).getBytes());
      Torrent torrent = ManifestBuilder.build(file, "load-" + t + "-" + System.nanoTime() + ".bin",
          16 * 1024);
      blocking.publish(PublishRequest.newBuilder().setManifest(torrent.manifest())
          .setProof(publisher.publishProof(torrent.infoHash(), Instant.now())).build());
      infohashes[t] = torrent.infoHash().hex();
      Files.delete(file);
    }
    Files.delete(dir);

    // Peer ids are their keys' ids: a session opens only with a proof of one (verified once, at
    // the join; the re-announces measured below carry the session token alone, as peers' do).
    PeerKey[] keys = new PeerKey[peers];
    for (int p = 0; p < peers; p++) {
      keys[p] = PeerKey.generate();
    }
    String[] tokens = new String[peers];
    Semaphore slots = new Semaphore(inFlight);
    // every peer joins once (STARTED), then re-announces at random
    CountDownLatch joined = new CountDownLatch(peers);
    for (int p = 0; p < peers; p++) {
      slots.acquire();
      int peer = p;
      AnnounceRequest join = request(keys[peer].peerId(), peer, infohashes[peer % torrents],
          AnnounceEvent.ANNOUNCE_EVENT_STARTED, "").toBuilder()
          .setProof(keys[peer].sessionProof(Instant.now())).build();
      next.get().announce(join, observer(slots, response -> {
            tokens[peer] = response.getSessionToken();
            joined.countDown();
          }, joined::countDown));
    }
    joined.await();
    for (int p = 0; p < peers; p++) {
      if (tokens[p] == null) {
        System.err.println("peer " + p + " could not join: " + FIRST_FAILURE.get());
        System.exit(1);
      }
    }

    // on stderr, for whoever profiles the trackers: the warm-up starts now, the clock 2 s later
    System.err.println("every peer joined; warming up");
    // A closed loop run from the responses: each answered call starts the next one on the
    // network thread that read the answer, so IN_FLIGHT calls stay out with no thread woken per
    // call (a generator that hands every answer to another thread spends several times the
    // tracker's CPU on the shared cores, and measures its own context switches).
    Load load = new Load(next, keys, tokens, infohashes, inFlight, System.nanoTime()
        + TimeUnit.SECONDS.toNanos(2), TimeUnit.SECONDS.toNanos(seconds));
    for (int i = 0; i < inFlight; i++) {
      load.start();
    }
    if (!load.finished.await(seconds + 60, TimeUnit.SECONDS)) {
      System.err.println("the calls out were not all answered a minute after the end: "
          + FIRST_FAILURE.get());
      System.exit(1);
    }
    long measuredNanos = load.end - load.warmUpEnd;
    long[] latencies = load.latencies;
    AtomicInteger recorded = load.recorded;
    AtomicLong failures = load.failures;
    AtomicLong heartbeats = load.heartbeats;
    int n = Math.min(recorded.get(), latencies.length);
    long[] sorted = Arrays.copyOf(latencies, n);
    Arrays.sort(sorted);
    System.out.printf("{\"peers\": %d, \"torrents\": %d, \"peers_per_swarm\": %d, "
        + "\"in_flight\": %d, \"announces\": %d, \"announces_per_s\": %.0f, \"p50_ms\": %.2f, "
        + "\"p99_ms\": %.2f, \"heartbeats_per_s\": %.0f, \"trackers\": %d, "
        + "\"failures\": %d}%n", peers, torrents, peers / torrents, inFlight,
        n, n * 1e9 / measuredNanos, percentile(sorted, 0.50), percentile(sorted, 0.99),
        heartbeats.get() * 1e9 / measuredNanos, targets.length, failures.get());
    for (ManagedChannel channel : channels) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static AnnounceRequest request(String peerId, int peer, String infohash,
      AnnounceEvent event, String token) {
    return AnnounceRequest.newBuilder().setInfohash(infohash).setPeerId(peerId)
        .setHost("10.9." + (peer >> 8 & 255) + "." + (peer & 255)).setPort(6881)
        .setEvent(event).setSessionToken(token).setNumWant(50).build();
  }

  private static double percentile(long[] sorted, double q) {
    return sorted.length == 0 ? 0
        : sorted[Math.min(sorted.length - 1, (int) (q * sorted.length))] / 1e6;
  }

  private static <T> StreamObserver<T> observer(Semaphore slots,
      java.util.function.Consumer<T> done, Runnable failed) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T response) {
        done.accept(response);
      }

      @Override
      public void onError(Throwable t) {
        if (FIRST_FAILURE.compareAndSet(null, t)) {
          System.err.println("first failed call: " + t);
        }
        failed.run();
        slots.release();
      }

      @Override
      public void onCompleted() {
        slots.release();
      }
    };
  }

  /**
   * The measured calls: re-announces asking for 50 peers, and a heartbeat for every four of
   * them, from random peers, each answer starting the next call until {@link #end}. Calls
   * started after {@link #warmUpEnd} are measured. Thread-safe (answers arrive on several network
   * threads).
   */
  private static final class Load {
    final long[] latencies = new long[4_000_000];
    final AtomicInteger recorded = new AtomicInteger();
    final AtomicLong failures = new AtomicLong();
    final AtomicLong heartbeats = new AtomicLong();
    final CountDownLatch finished = new CountDownLatch(1);
    final long warmUpEnd;
    final long end;
    private final java.util.function.Supplier<TrackerServiceGrpc.TrackerServiceStub> next;
    private final PeerKey[] keys;
    private final String[] tokens;
    private final String[] infohashes;
    private final AtomicLong calls = new AtomicLong();
    private final AtomicInteger outstanding = new AtomicInteger();

    Load(java.util.function.Supplier<TrackerServiceGrpc.TrackerServiceStub> next, PeerKey[] keys,
        String[] tokens, String[] infohashes, int slots, long warmUpEnd, long measuredNanos) {
      this.next = next;
      this.outstanding.set(slots);
      this.keys = keys;
      this.tokens = tokens;
      this.infohashes = infohashes;
      this.warmUpEnd = warmUpEnd;
      this.end = warmUpEnd + measuredNanos;
    }

    /** Starts the first call of one of the slots of calls in flight. */
    void start() {
      issue();
    }

    /**
     * Starts a slot's next call. An answered call starts the next one, from its callback; a
     * failed one ends its slot rather than calling again at once (with the direct executor, a
     * call that fails at once reports it on this very stack), and so does the end of the clock.
     */
    private void issue() {
      long start = System.nanoTime();
      if (start >= end) {
        finish();
        return;
      }
      boolean measured = start >= warmUpEnd;
      int peer = java.util.concurrent.ThreadLocalRandom.current().nextInt(keys.length);
      try {
        if (calls.incrementAndGet() % 5 == 0) {
          next.get().heartbeat(HeartbeatRequest.newBuilder().setPeerId(keys[peer].peerId())
              .setSessionToken(tokens[peer]).build(), answered(() -> {
                if (measured) {
                  heartbeats.incrementAndGet();
                }
              }));
          return;
        }
        next.get().announce(request(keys[peer].peerId(), peer,
            infohashes[peer % infohashes.length], AnnounceEvent.ANNOUNCE_EVENT_UNSPECIFIED,
            tokens[peer]), answered(() -> {
              if (measured) {
                int i = recorded.getAndIncrement();
                if (i < latencies.length) {
                  latencies[i] = System.nanoTime() - start;
                }
              }
            }));
      } catch (RuntimeException e) {
        failed(e);
      }
    }

    private <T> StreamObserver<T> answered(Runnable record) {
      return new StreamObserver<>() {
        @Override
        public void onNext(T response) {
          record.run();
        }

        @Override
        public void onError(Throwable t) {
          failed(t);
        }

        @Override
        public void onCompleted() {
          // from the root context: a call started in its predecessor's context would chain
          // every context of the slot's calls together
          Context.ROOT.run(Load.this::issue);
        }
      };
    }

    private void failed(Throwable t) {
      if (FIRST_FAILURE.compareAndSet(null, t)) {
        System.err.println("first failed call: " + t);
      }
      failures.incrementAndGet();
      finish();
    }

    /** A slot is done; the last one done ends the run (its records written before). */
    private void finish() {
      if (outstanding.decrementAndGet() == 0) {
        finished.countDown();
      }
    }
  }
}
