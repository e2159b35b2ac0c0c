package io.minibit.peer.testing;

import io.grpc.ManagedChannel;
import io.grpc.ServerBuilder;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.minibit.api.v2.DownloadRequest;
import io.minibit.api.v2.ListTransfersRequest;
import io.minibit.api.v2.PeerControlServiceGrpc;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.api.v2.Transfer;
import io.minibit.core.grpc.Channels;
import io.minibit.core.telemetry.Telemetry;
import io.minibit.core.testing.ScratchDirectory;
import io.minibit.peer.PeerConfig;
import io.minibit.peer.PeerDaemon;
import io.minibit.peer.download.PeerChannels;
import io.minibit.peer.swarm.TrackerClient;
import io.minibit.tracker.TrackerConfig;
import io.minibit.tracker.TrackerServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A tracker and any number of peer daemons in one JVM. A peer named "a" made by {@link #peer}
 * serves on the in-process address "a:1", which is also what it advertises, so peers find each
 * other through the tracker exactly as they do over the network; one made by
 * {@link #networkPeer} serves on a real loopback port instead (to put a delaying proxy in
 * front of it, say). Control APIs and the tracker are always in-process. The tracker expects
 * a heartbeat every second, so a restarted tracker is found again quickly. More trackers, each
 * with a catalog of its own, start under names ({@link #startTracker(String)}), and a peer made
 * by {@link #peer(String, List, UnaryOperator)} knows the ones named, in order.
 *
 * <p>Usually a JUnit 5 extension on an instance field, which starts the tracker before each
 * test in a directory of its own and stops everything after it:
 * {@code @RegisterExtension final LocalSwarm swarm = LocalSwarm.builder().build();}
 * A test that needs a second swarm starts one with {@link Builder#start} and closes it.
 * Not thread-safe: start and stop peers and trackers from the test thread.
 */
public final class LocalSwarm implements AutoCloseable, BeforeEachCallback, AfterEachCallback {
  /** The port every in-process peer advertises. */
  public static final int PORT = 1;

  private final String prefix = InProcessServerBuilder.generateName() + "-";
  private final Duration announceInterval;
  private final UnaryOperator<TrackerConfig> trackerOptions;
  private final Random trackerRandom;
  private final Function<String, Telemetry> telemetry;
  /** What {@link #telemetry} handed out, closed after the test when this is an extension. */
  private final Set<Telemetry> handedOut = new LinkedHashSet<>();
  private ScratchDirectory scratch;
  private Path root;
  private TrackerConfig trackerConfig;
  private TrackerServer tracker;
  private boolean trackerStopped;
  private final List<Peer> closeables = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final Map<String, TrackerServer> namedTrackers = new LinkedHashMap<>();
  private final Map<String, AtomicInteger> channelsOpened = new ConcurrentHashMap<>();

  private LocalSwarm(Builder options) {
    this.announceInterval = options.announceInterval;
    this.trackerOptions = options.tracker;
    this.trackerRandom = options.trackerRandom;
    this.telemetry = name -> {
      Telemetry given = options.telemetry.apply(name);
      handedOut.add(given);
      return given;
    };
  }

  /** Options for a swarm: by default a tracker that asks for re-announces every second. */
  public static Builder builder() {
    return new Builder();
  }

  private void start(Path root) throws IOException {
    this.root = root;
    this.trackerConfig = trackerOptions.apply(new TrackerConfig(0, root.resolve("tracker"),
        Duration.ofSeconds(1), announceInterval, 50, true));
    this.tracker = startTracker();
  }

  private TrackerServer startTracker() throws IOException {
    return TrackerServer.start(trackerConfig,
        InProcessServerBuilder.forName(prefix + "tracker").directExecutor(), Clock.systemUTC(),
        trackerRandom, telemetry.apply("tracker"));
  }

  @Override
  public void beforeEach(ExtensionContext context) throws IOException {
    scratch = ScratchDirectory.create("minibit-swarm-");
    start(scratch.path());
  }

  @Override
  public void afterEach(ExtensionContext context) throws IOException {
    try {
      close();
      handedOut.forEach(Telemetry::close);
    } finally {
      if (scratch != null) {
        scratch.close();
      }
    }
  }

  /** The directory the tracker's and the peers' data directories are in. */
  public Path root() {
    return root;
  }

  /** Stops the tracker for good: peers find it gone from then on. */
  public void stopTracker() {
    if (!trackerStopped) {
      trackerStopped = true;
      tracker.close();
    }
  }

  /**
   * Stops the tracker and starts a new one under the same name; with {@code forgetCatalog} the
   * new one starts from an empty data directory, as if its disk had been lost.
   */
  public void restartTracker(boolean forgetCatalog) throws IOException {
    stopTracker();
    trackerStopped = false;
    if (forgetCatalog) {
      try (var files = Files.walk(trackerConfig.dataDir())) {
        for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(file);
        }
      }
    }
    tracker = startTracker();
  }

  public TrackerServer tracker() {
    return tracker;
  }

  /**
   * Starts a tracker named {@code name} (a peer's messages call it so), in-process, with its own
   * data directory: it shares no catalog and no swarm with the others.
   */
  public TrackerServer startTracker(String name) throws IOException {
    TrackerConfig config = new TrackerConfig(0, root.resolve("tracker-" + name),
        trackerConfig.heartbeatInterval(), trackerConfig.announceInterval(),
        trackerConfig.peerSampleSize(), true);
    TrackerServer server = TrackerServer.start(config,
        InProcessServerBuilder.forName(prefix + "tracker-" + name).directExecutor(),
        Clock.systemUTC(), new java.util.Random(), telemetry.apply("tracker-" + name));
    namedTrackers.put(name, server);
    return server;
  }

  /** Stops the tracker named {@code name}, as a crash of its host would: it stops answering. */
  public void stopTracker(String name) {
    namedTrackers.remove(name).close();
  }

  /** A client of the tracker named {@code name}. */
  public TrackerServiceGrpc.TrackerServiceBlockingStub trackerStub(String name) {
    return TrackerServiceGrpc.newBlockingStub(channel(prefix + "tracker-" + name));
  }

  /**
   * Starts a peer named {@code name} that knows the trackers named {@code trackers}, in that
   * order of preference (each started by {@link #startTracker(String)}).
   */
  public Peer peer(String name, List<String> trackers, UnaryOperator<PeerConfig> customize)
      throws IOException {
    Path dataDir = Files.createDirectories(root.resolve(name));
    PeerConfig config = customize.apply(
        PeerConfig.defaults(String.join(",", trackers), dataDir)
            .withAdvertiseHost(host(name))
            .withPorts(PORT, 0));
    List<TrackerClient.Endpoint> endpoints = trackers.stream()
        .map(tracker -> TrackerClient.Endpoint.of(tracker, channel(prefix + "tracker-" + tracker)))
        .toList();
    PeerDaemon daemon = PeerDaemon.start(config,
        InProcessServerBuilder.forName(address(name)),
        List.<ServerBuilder<?>>of(InProcessServerBuilder.forName(prefix + name + "-control")),
        endpoints,
        peerChannels(name),
        Clock.systemUTC(), telemetry.apply(name));
    Peer peer = new Peer(name, daemon, channel(prefix + name + "-control"));
    closeables.add(peer);
    return peer;
  }

  /** Channels to other peers for the peer named {@code name}, counted as they are opened. */
  private PeerChannels peerChannels(String name) {
    AtomicInteger opened = channelsOpened.computeIfAbsent(name, n -> new AtomicInteger());
    return new PeerChannels(target -> {
      opened.incrementAndGet();
      return InProcessChannelBuilder.forName(target).build();
    });
  }

  /** How many channels to other peers the in-process peer named {@code name} has opened. */
  public int peerChannelsOpened(String name) {
    AtomicInteger opened = channelsOpened.get(name);
    return opened == null ? 0 : opened.get();
  }

  /** A new channel to the tracker, closed with the swarm. */
  public ManagedChannel trackerChannel() {
    return channel(prefix + "tracker");
  }

  public TrackerServiceGrpc.TrackerServiceBlockingStub trackerStub() {
    return TrackerServiceGrpc.newBlockingStub(trackerChannel());
  }

  /** Starts a peer named {@code name} with its data in {@code <root>/<name>}. */
  public Peer peer(String name) throws IOException {
    return peer(name, UnaryOperator.identity());
  }

  /** Starts a peer whose configuration {@code customize} may change (upload limit, ...). */
  public Peer peer(String name, UnaryOperator<PeerConfig> customize) throws IOException {
    Path dataDir = Files.createDirectories(root.resolve(name));
    PeerConfig config = customize.apply(
        PeerConfig.defaults("in-process tracker", dataDir)
            .withAdvertiseHost(host(name))
            .withPorts(PORT, 0));
    PeerDaemon daemon = PeerDaemon.start(config,
        InProcessServerBuilder.forName(address(name)),
        InProcessServerBuilder.forName(prefix + name + "-control"),
        trackerChannel(),
        peerChannels(name),
        Clock.systemUTC(), telemetry.apply(name));
    Peer peer = new Peer(name, daemon, channel(prefix + name + "-control"));
    closeables.add(peer);
    return peer;
  }

  /**
   * Starts a peer named {@code name} whose Peer service listens on 127.0.0.1:{@code port} (0 for
   * any) over TCP; {@code customize} may change what it advertises.
   */
  public Peer networkPeer(String name, int port, UnaryOperator<PeerConfig> customize)
      throws IOException {
    Path dataDir = Files.createDirectories(root.resolve(name));
    PeerConfig config = customize.apply(
        PeerConfig.defaults("in-process tracker", dataDir)
            .withAdvertiseHost("127.0.0.1")
            .withPorts(port, 0));
    PeerDaemon daemon = PeerDaemon.start(config,
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port)),
        InProcessServerBuilder.forName(prefix + name + "-control"),
        trackerChannel(),
        PeerChannels.network(),
        Clock.systemUTC(), telemetry.apply(name));
    Peer peer = new Peer(name, daemon, channel(prefix + name + "-control"));
    closeables.add(peer);
    return peer;
  }

  /** The in-process address of the peer named {@code name}, as other peers dial it. */
  public String address(String name) {
    return host(name) + ":" + PORT;
  }

  /** The host the peer named {@code name} advertises. */
  public String host(String name) {
    return prefix + name;
  }

  /** A new channel to any in-process server of this swarm, closed with the swarm. */
  public ManagedChannel channel(String inProcessName) {
    ManagedChannel channel = Channels.configure(InProcessChannelBuilder.forName(inProcessName))
        .build();
    channels.add(channel);
    return channel;
  }

  /** A peer daemon of the swarm and a control client for it. */
  public static final class Peer implements AutoCloseable {
    private final String name;
    private final PeerDaemon daemon;
    private final PeerControlServiceGrpc.PeerControlServiceBlockingStub control;
    private boolean closed;

    Peer(String name, PeerDaemon daemon, ManagedChannel controlChannel) {
      this.name = name;
      this.daemon = daemon;
      this.control = PeerControlServiceGrpc.newBlockingStub(controlChannel);
    }

    public String name() {
      return name;
    }

    public PeerDaemon daemon() {
      return daemon;
    }

    public Path dataDir() {
      return daemon.dataDir();
    }

    public PeerControlServiceGrpc.PeerControlServiceBlockingStub control() {
      return control;
    }

    /** This peer's snapshot of the transfer of {@code infohash}, if it has one. */
    public Optional<Transfer> transfer(String infohash) {
      return control.listTransfers(ListTransfersRequest.getDefaultInstance()).getTransfersList()
          .stream().filter(t -> t.getInfohash().equals(infohash)).findFirst();
    }

    /** Blocks of {@code infohash} this peer holds, 0 before its transfer begins. */
    public int blocksHave(String infohash) {
      return transfer(infohash).map(Transfer::getBlocksHave).orElse(0);
    }

    /** {@link #download(String)} on another thread: the finished transfer, in time. */
    public CompletableFuture<Transfer> downloadAsync(String infohash) {
      return CompletableFuture.supplyAsync(() -> download(infohash));
    }

    /**
     * Runs a Download call for {@code infohash} to its end (within a minute) and returns the
     * last progress message: the finished transfer.
     */
    public Transfer download(String infohash) {
      return download(DownloadRequest.newBuilder().setInfohash(infohash).build());
    }

    /** Runs {@code request} to its end (within a minute); returns the last progress message. */
    public Transfer download(DownloadRequest request) {
      var progress = control.withDeadlineAfter(1, java.util.concurrent.TimeUnit.MINUTES)
          .download(request);
      Transfer last = null;
      while (progress.hasNext()) {
        last = progress.next().getTransfer();
      }
      return last;
    }

    /** Stops the daemon, as a shutdown would. */
    @Override
    public void close() {
      if (!closed) {
        closed = true;
        daemon.close();
      }
    }
  }

  /** The options tests vary; {@link #build} makes an extension, {@link #start} a running swarm. */
  public static final class Builder {
    private Duration announceInterval = Duration.ofSeconds(1);
    private UnaryOperator<TrackerConfig> tracker = UnaryOperator.identity();
    private Random trackerRandom = new Random();
    private Function<String, Telemetry> telemetry = name -> Telemetry.noop();

    private Builder() {}

    /** The tracker asks for re-announces every {@code interval}. */
    public Builder announceInterval(Duration interval) {
      this.announceInterval = interval;
      return this;
    }

    /** Changes the tracker's configuration (its peer sample size, say). */
    public Builder tracker(UnaryOperator<TrackerConfig> customize) {
      this.tracker = customize;
      return this;
    }

    /** The tracker samples peers with {@code random}. */
    public Builder trackerRandom(Random random) {
      this.trackerRandom = random;
      return this;
    }

    /**
     * The tracker and the peers trace and measure with {@code telemetry.apply(name)} ("tracker",
     * or the peer's name). As an extension the swarm closes what it was handed after the test,
     * once its servers have stopped; a swarm from {@link #start} leaves that to the caller, who
     * may still read an in-memory exporter after closing the swarm.
     */
    public Builder telemetry(Function<String, Telemetry> telemetry) {
      this.telemetry = telemetry;
      return this;
    }

    /** An extension to register: it starts before each test, in a directory of its own. */
    public LocalSwarm build() {
      return new LocalSwarm(this);
    }

    /** A swarm started now with its data under {@code root}; the caller closes it. */
    public LocalSwarm start(Path root) throws IOException {
      LocalSwarm swarm = new LocalSwarm(this);
      swarm.start(root);
      return swarm;
    }
  }

  /** Stops every peer, then the trackers, then the channels; closing again does nothing. */
  @Override
  public void close() {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    if (tracker != null) {
      stopTracker();
    }
    namedTrackers.values().forEach(TrackerServer::close);
    namedTrackers.clear();
    channels.forEach(Channels::close);
    channels.clear();
  }
}
