package io.minibit.peer;

import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ServerBuilder;
import io.minibit.api.v2.TorrentSummary;
import io.minibit.core.InfoHash;
import io.minibit.core.ManifestBuilder;
import io.minibit.core.SwarmHealthCalculator;
import io.minibit.core.grpc.CallerAddress;
import io.minibit.core.grpc.GrpcServer;
import io.minibit.core.identity.PeerKey;
import io.minibit.core.telemetry.Telemetry;
import io.minibit.peer.control.DownloadOrder;
import io.minibit.peer.control.TransferControl;
import io.minibit.peer.control.Usage;
import io.minibit.peer.download.Download;
import io.minibit.peer.download.FetchStats;
import io.minibit.peer.download.PeerChannels;
import io.minibit.peer.server.PeerControlGrpcService;
import io.minibit.peer.server.PeerGrpcService;
import io.minibit.peer.server.UploadLimiter;
import io.minibit.peer.session.TorrentSession;
import io.minibit.peer.session.TransferRecords;
import io.minibit.peer.swarm.Announcer;
import io.minibit.peer.swarm.TrackerClient;
import io.minibit.peer.telemetry.PeerMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.logging.Logger;

/**
 * A running peer: the Peer service other peers fetch from, the control API the CLI drives, and
 * the torrents it shares and downloads. Torrents are remembered under {@code .minibit/} in the
 * data directory, so a restarted daemon seeds its files again and resumes its downloads. This
 * class wires the parts together and owns their life; each use case is a class of its own.
 *
 * <p>Thread-safe.
 */
public final class PeerDaemon implements TransferControl, PeerMetrics.Source, AutoCloseable {
  private static final Logger log = DaemonLog.LOG;
  private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(1);

  private final PeerConfig config;
  private final Path dataDir;
  private final String peerId;
  private final Random random = new Random();
  private final TrackerClient tracker;
  private final PeerChannels peerChannels;
  private final DaemonExecutors executors;
  private final FetchStats fetchStats;
  private final TransferTable table = new TransferTable();
  private final GrpcServer peerServer;
  /** The control API, on each address it listens on (a Unix socket, a TCP port). */
  private final List<GrpcServer> controlServers = new ArrayList<>();
  private final Announcer announcer;
  private final PeerMetrics metrics;
  private final TransferUseCases useCases;

  private PeerDaemon(PeerConfig config, ServerBuilder<?> peerServerBuilder,
      List<ServerBuilder<?>> controlServerBuilders, List<TrackerClient.Endpoint> trackers,
      PeerChannels peerChannels,
      Clock clock, Telemetry telemetry) throws IOException {
    this.config = config;
    this.dataDir = Files.createDirectories(config.dataDir()).toRealPath();
    PeerKey key = PeerKey.loadOrCreate(PeerConfig.keyFile(dataDir));
    if (!key.peerId().equals(config.peerId())) {
      throw new IllegalArgumentException("peer id " + config.peerId() + " is not the id of the"
          + " key in " + PeerConfig.keyFile(dataDir) + " (" + key.peerId() + "): a peer's id is"
          + " its key's (PeerConfig.peerIdIn)");
    }
    this.peerId = config.peerId();
    this.metrics = new PeerMetrics(telemetry.meter(), config.metricsPerPeer());
    this.fetchStats = new FetchStats(metrics::blockArrived);
    this.tracker = new TrackerClient(trackers.stream()
        .map(t -> new TrackerClient.Endpoint(t.target(),
            ClientInterceptors.intercept(t.channel(), telemetry.clientInterceptor()),
            t.reconnectNow()))
        .toList(), key, clock, random);
    this.executors = DaemonExecutors.create();
    this.peerChannels = peerChannels.intercepted(telemetry.clientInterceptor())
        .lingering(PeerChannels.LINGER, executors.scheduler());
    TransferRecords records =
        new TransferRecords(dataDir.resolve(PeerConfig.STATE_DIR).resolve("transfers"));
    UploadLimiter limiter = UploadLimiter.of(config.limits().uploadBytesPerSecond());
    this.peerServer = GrpcServer.start(peerServerBuilder,
        "the peer service (port " + config.port() + ", --port)",
        List.of(telemetry.serverInterceptor(), new CallerAddress()),
        new PeerGrpcService(peerId, table::session, limiter, this::health));
    int announcedPort = config.advertisePort() != 0 ? config.advertisePort()
        : config.port() != 0 ? config.port() : peerServer.port();
    this.announcer = new Announcer(tracker, peerId, config.advertiseHost(), announcedPort, random);
    this.useCases = TransferUseCases.wire(new TransferUseCases.Shared(dataDir, config, clock,
        random, telemetry, tracker, this.peerChannels, fetchStats, metrics, executors, table,
        records, announcer));
    try {
      PeerControlGrpcService control = new PeerControlGrpcService(this, executors.scheduler());
      for (ServerBuilder<?> builder : controlServerBuilders) {
        controlServers.add(GrpcServer.start(builder, "the control service",
            List.of(telemetry.serverInterceptor()), control));
      }
    } catch (IOException | RuntimeException e) {
      controlServers.forEach(GrpcServer::close);
      announcer.close();
      peerServer.close();
      throw e;
    }
  }

  /**
   * Starts a peer: both servers, then every torrent remembered from an earlier run.
   *
   * @param trackerChannel channel to the tracker, owned by the caller
   * @param peerChannels how to reach other peers; closed with the daemon
   */
  public static PeerDaemon start(PeerConfig config, ServerBuilder<?> peerServerBuilder,
      ServerBuilder<?> controlServerBuilder, Channel trackerChannel, PeerChannels peerChannels,
      Clock clock) throws IOException {
    return start(config, peerServerBuilder, controlServerBuilder, trackerChannel, peerChannels,
        clock, Telemetry.noop());
  }

  /**
   * As above, with every call traced and the peer's metrics kept by {@code telemetry} (owned by
   * the caller).
   */
  public static PeerDaemon start(PeerConfig config, ServerBuilder<?> peerServerBuilder,
      ServerBuilder<?> controlServerBuilder, Channel trackerChannel, PeerChannels peerChannels,
      Clock clock, Telemetry telemetry) throws IOException {
    return start(config, peerServerBuilder, List.of(controlServerBuilder), trackerChannel,
        peerChannels, clock, telemetry);
  }

  /** As above, with the control API served on each of {@code controlServerBuilders}. */
  public static PeerDaemon start(PeerConfig config, ServerBuilder<?> peerServerBuilder,
      List<ServerBuilder<?>> controlServerBuilders, Channel trackerChannel,
      PeerChannels peerChannels, Clock clock, Telemetry telemetry) throws IOException {
    return start(config, peerServerBuilder, controlServerBuilders,
        List.of(TrackerClient.Endpoint.of(config.tracker(), trackerChannel)), peerChannels, clock,
        telemetry);
  }

  /**
   * As above, with several trackers, in order of preference: calls go to one at a time and move
   * to the next when it cannot be reached (see {@link TrackerClient}). Their channels are owned
   * by the caller.
   */
  public static PeerDaemon start(PeerConfig config, ServerBuilder<?> peerServerBuilder,
      List<ServerBuilder<?>> controlServerBuilders, List<TrackerClient.Endpoint> trackers,
      PeerChannels peerChannels, Clock clock, Telemetry telemetry) throws IOException {
    PeerDaemon daemon = new PeerDaemon(config, peerServerBuilder, controlServerBuilders,
        trackers, peerChannels, clock, telemetry);
    daemon.metrics.observe(daemon);
    daemon.useCases.recovery().restore();
    new PeriodicWork(daemon.table, daemon.useCases.cacheKeeper())
        .schedule(daemon.executors.scheduler(), config.swarm().chokeInterval());
    return daemon;
  }

  public String peerId() {
    return peerId;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** Port of the Peer service (the actual one if 0 was asked), -1 in-process. */
  public int peerPort() {
    return peerServer.port();
  }

  /** The control API's TCP port (the actual one if 0 was asked), -1 if it has none. */
  public int controlPort() {
    return controlServers.stream().mapToInt(GrpcServer::port).filter(port -> port >= 0)
        .findFirst().orElse(-1);
  }

  /** The session of {@code infoHash}; NOT_FOUND if this peer does not hold it. */
  public TorrentSession session(InfoHash infoHash) {
    return table.session(infoHash);
  }

  @Override
  public Collection<TorrentSession> sessions() {
    return table.sorted();
  }

  @Override
  public String trackerInUse() {
    return tracker.inUse();
  }

  /** The first {@code max} torrents of the tracker's catalog. */
  public List<TorrentSummary> catalog(int max) {
    return tracker.catalog(max);
  }

  /** Whether this peer has a transfer of the torrent {@code infohash} (in hex). */
  public boolean holds(String infohash) {
    return table.get(InfoHash.parse(infohash)) != null;
  }

  @Override
  public FetchStats fetchStats() {
    return fetchStats;
  }

  /** The running download of {@code session}, if it is still downloading. */
  public Optional<Download> download(TorrentSession session) {
    return table.download(session);
  }

  /** See {@link FileSharer#share}. */
  @Override
  public TorrentSession share(String path, int blockSize, ManifestBuilder.Progress progress)
      throws IOException {
    return useCases.sharer().share(path, blockSize, progress);
  }

  /** See {@link Downloader#download}. */
  @Override
  public TorrentSession download(DownloadOrder order) throws IOException {
    return useCases.downloader().download(order);
  }

  /**
   * The swarm of {@code session} as this peer sees it: itself and the peers its download knows
   * (a seed whose download is over sees only itself).
   */
  @Override
  public SwarmHealthCalculator.Health health(TorrentSession session) {
    List<SwarmHealthCalculator.Member> members = new ArrayList<>();
    members.add(new SwarmHealthCalculator.Member(peerId, session.store().bitfield(),
        session.store().haveCount(), session.isSeeding(), session.downloadRate()));
    download(session).ifPresent(download -> members.addAll(download.members()));
    return SwarmHealthCalculator.compute(session.torrent(), members);
  }

  @Override
  public Duration stalledFor(TorrentSession session) {
    return download(session).map(Download::stalledFor).orElse(Duration.ZERO);
  }

  @Override
  public String stallReason(TorrentSession session) {
    return download(session).map(Download::stallReason).orElse("");
  }

  @Override
  public Duration noPeersTimeout() {
    return config.noPeersTimeout();
  }

  @Override
  public void remove(InfoHash infoHash, boolean deleteData) throws IOException {
    useCases.remover().remove(infoHash, deleteData);
  }

  @Override
  public Usage usage() {
    return useCases.cacheKeeper().usage();
  }

  /** True while the peer service takes calls: what the HTTP {@code /healthz} reports. */
  public boolean isServing() {
    return peerServer.isServing();
  }

  /** Stops fetching, leaves every swarm, then stops serving: open streams get a second. */
  @Override
  public void close() {
    table.downloads().forEach(Download::close);
    announcer.close();
    controlServers.forEach(server -> server.close(SHUTDOWN_GRACE));
    peerServer.close(SHUTDOWN_GRACE);
    for (TorrentSession session : table.sessions()) {
      try {
        session.store().close();
      } catch (IOException e) {
        log.warning(() -> "closing " + session + ": " + e.getMessage());
      }
    }
    peerChannels.close();
    executors.shutdown();
  }
}
