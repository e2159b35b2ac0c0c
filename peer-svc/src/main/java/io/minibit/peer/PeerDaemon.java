package io.minibit.peer;

import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ServerBuilder;
import io.grpc.Status;
import io.minibit.api.v2.DownloadRequest;
import io.minibit.api.v2.SwarmHealth;
import io.minibit.api.v2.TorrentSummary;
import io.minibit.core.DaemonThreads;
import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.ManifestBuilder;
import io.minibit.core.MinibitException;
import io.minibit.core.SafePaths;
import io.minibit.core.SwarmHealthCalculator;
import io.minibit.core.Torrent;
import io.minibit.core.Validation;
import io.minibit.core.grpc.CallerAddress;
import io.minibit.core.grpc.GrpcServer;
import io.minibit.core.identity.PeerKey;
import io.minibit.core.store.BlockStore;
import io.minibit.core.telemetry.Telemetry;
import io.minibit.peer.download.Download;
import io.minibit.peer.download.DownloadLimiter;
import io.minibit.peer.download.FetchStats;
import io.minibit.peer.download.PeerChannels;
import io.minibit.peer.policy.Allocation;
import io.minibit.peer.policy.Choker;
import io.minibit.peer.server.PeerControlGrpcService;
import io.minibit.peer.server.PeerGrpcService;
import io.minibit.peer.server.UploadLimiter;
import io.minibit.peer.session.PeerExchange;
import io.minibit.peer.session.TorrentSession;
import io.minibit.peer.session.TransferRecords;
import io.minibit.peer.session.TransferRecords.FileStamp;
import io.minibit.peer.swarm.Announcer;
import io.minibit.peer.swarm.TrackerClient;
import io.minibit.peer.telemetry.DownloadTrace;
import io.minibit.peer.telemetry.PeerMetrics;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * A running peer: the Peer service other peers fetch from, the control API the CLI drives, and
 * the torrents it shares and downloads. Torrents are remembered under {@code .minibit/} in the
 * data directory, so a restarted daemon seeds its files again and resumes its downloads.
 *
 * <p>Thread-safe.
 */
public final class PeerDaemon implements AutoCloseable {
  private static final Logger log = Logger.getLogger(PeerDaemon.class.getName());
  static final String STATE_DIR = ".minibit";
  private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(1);

  private final PeerConfig config;
  private final Path dataDir;
  private final String peerId;
  private final Clock clock;
  private final Random random = new Random();
  private final TrackerClient tracker;
  private final PeerChannels peerChannels;
  private final TransferRecords records;
  private final ScheduledExecutorService scheduler;
  private final ExecutorService hashExecutor;
  /** The threads a shared file is hashed on: one per core. */
  private final ExecutorService shareHashers;
  private final int cores = Runtime.getRuntime().availableProcessors();
  /** The threads every download's loop runs on. */
  private final ExecutorService downloadPool;
  private final FetchStats fetchStats;
  private final DownloadLimiter downloadLimiter;
  private final DownloadCache cache;
  private final Map<InfoHash, TorrentSession> sessions = new ConcurrentHashMap<>();
  private final Map<InfoHash, Download> downloads = new ConcurrentHashMap<>();
  private final GrpcServer peerServer;
  /** The control API, on each address it listens on (a Unix socket, a TCP port). */
  private final List<GrpcServer> controlServers = new ArrayList<>();
  private final Announcer announcer;
  private final Allocation allocation;
  private final Telemetry telemetry;
  private final PeerMetrics metrics;

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
    this.clock = clock;
    this.telemetry = telemetry;
    this.metrics = new PeerMetrics(telemetry.meter(), config.metricsPerPeer());
    this.fetchStats = new FetchStats(metrics::blockArrived);
    this.tracker = new TrackerClient(trackers.stream()
        .map(t -> new TrackerClient.Endpoint(t.target(),
            ClientInterceptors.intercept(t.channel(), telemetry.clientInterceptor()),
            t.reconnectNow()))
        .toList(), key, clock, random);
    this.peerChannels = peerChannels.intercepted(telemetry.clientInterceptor());
    this.records = new TransferRecords(dataDir.resolve(STATE_DIR).resolve("transfers"));
    this.cache = new DownloadCache(config.limits(), records, clock);
    this.downloadLimiter = DownloadLimiter.of(config.limits().downloadBytesPerSecond());
    this.scheduler = Executors.newScheduledThreadPool(2, DaemonThreads.named("peer-scheduler"));
    this.hashExecutor = Executors.newFixedThreadPool(2, DaemonThreads.named("peer-hasher"));
    this.shareHashers = Executors.newFixedThreadPool(cores, DaemonThreads.named("peer-share-hasher"));
    this.downloadPool = Executors.newFixedThreadPool(
        Math.max(2, Runtime.getRuntime().availableProcessors()), DaemonThreads.named("peer-download"));
    UploadLimiter limiter = UploadLimiter.of(config.limits().uploadBytesPerSecond());
    this.allocation = Allocation.named(config.swarm().allocation());
    this.peerServer = GrpcServer.start(peerServerBuilder,
        "the peer service (port " + config.port() + ", --port)",
        List.of(telemetry.serverInterceptor(), new CallerAddress()),
        new PeerGrpcService(peerId, this::session, limiter, this::health));
    int announcedPort = config.advertisePort() != 0 ? config.advertisePort()
        : config.port() != 0 ? config.port() : peerServer.port();
    this.announcer = new Announcer(tracker, peerId, config.advertiseHost(), announcedPort, random);
    try {
      PeerControlGrpcService control = new PeerControlGrpcService(this, scheduler);
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
    daemon.restore();
    long every = config.swarm().chokeInterval().toMillis();
    daemon.scheduler.scheduleAtFixedRate(daemon::rechoke, every, every, TimeUnit.MILLISECONDS);
    daemon.scheduler.scheduleAtFixedRate(daemon::topUpOffers, 1, 1, TimeUnit.SECONDS);
    daemon.scheduler.scheduleAtFixedRate(daemon::exchangePeers, 1, 1, TimeUnit.SECONDS);
    daemon.scheduler.scheduleAtFixedRate(daemon::keepCache, 1, 1, TimeUnit.SECONDS);
    return daemon;
  }

  public String peerId() {
    return peerId;
  }

  public Path dataDir() {
    return dataDir;
  }

  public PeerConfig config() {
    return config;
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
    TorrentSession session = sessions.get(infoHash);
    if (session == null) {
      throw MinibitException.notFound("this peer does not have torrent %s", infoHash);
    }
    return session;
  }

  public Collection<TorrentSession> sessions() {
    List<TorrentSession> list = new ArrayList<>(sessions.values());
    list.sort((a, b) -> a.torrent().name().compareTo(b.torrent().name()));
    return list;
  }

  /** The tracker this peer's calls go to now (of the ones it was given, in order). */
  public String trackerInUse() {
    return tracker.inUse();
  }

  /** The first {@code max} torrents of the tracker's catalog. */
  public List<TorrentSummary> catalog(int max) {
    return tracker.catalog(max);
  }

  /** Whether this peer has a transfer of the torrent {@code infohash} (in hex). */
  public boolean holds(String infohash) {
    return sessions.containsKey(InfoHash.parse(infohash));
  }

  /** How the GetBlocks calls of every download ended, since the daemon started. */
  public FetchStats fetchStats() {
    return fetchStats;
  }

  /** The running download of {@code session}, if it is still downloading. */
  public Optional<Download> download(TorrentSession session) {
    return Optional.ofNullable(downloads.get(session.torrent().infoHash()));
  }

  /** As {@link #share(String, int, ManifestBuilder.Progress)}, without progress. */
  public TorrentSession share(String path, int blockSize) throws IOException {
    return share(path, blockSize, ManifestBuilder.Progress.NONE);
  }

  /**
   * Hashes the file at {@code path} (inside the data directory) on every core, publishes its
   * manifest and seeds it. Sharing a file already shared returns its session; FAILED_PRECONDITION
   * if the same torrent is being downloaded (remove that transfer first). {@code progress} is
   * told how far the hashing got after each batch, and may stop it by throwing.
   */
  public TorrentSession share(String path, int blockSize, ManifestBuilder.Progress progress)
      throws IOException {
    Path file = SafePaths.existingInside(dataDir, path);
    if (!Files.isRegularFile(file)) {
      throw MinibitException.invalid("%s is not a regular file", Validation.printable(path));
    }
    if (file.startsWith(stateDir())) {
      throw MinibitException.invalid("%s is in the daemon's own state directory", path);
    }
    String name = Validation.requireTorrentName("file name", file.getFileName().toString());
    FileStamp before = FileStamp.of(file);
    Torrent torrent = ManifestBuilder.build(file, name, blockSize, shareHashers, cores, progress);
    if (!FileStamp.of(file).equals(before)) {
      throw new MinibitException(ErrorCode.FAILED_PRECONDITION, String.format(
          "%s changed while it was hashed; share it once it is written", file));
    }
    synchronized (this) {
      Optional<TorrentSession> existing = sharing(file, torrent);
      if (existing.isPresent()) {
        return existing.get();
      }
    }
    // Outside the lock: a slow or unreachable tracker holds up this share, not every control call.
    tracker.publish(torrent);
    synchronized (this) {
      Optional<TorrentSession> existing = sharing(file, torrent);
      if (existing.isPresent()) {
        return existing.get();
      }
      records.save(torrent, file.getParent());
      records.saveVerified(torrent, before);
      TorrentSession session = newSession(torrent, BlockStore.openComplete(torrent, file));
      log.info(() -> "sharing " + torrent + " from " + file);
      announcer.add(session, session::heardFromTracker);
      return session;
    }
  }

  /**
   * The session that already shares {@code torrent} from {@code file}, if any; FAILED_PRECONDITION
   * if the torrent is being downloaded, or another transfer holds the path. The caller holds the
   * daemon's lock.
   */
  private Optional<TorrentSession> sharing(Path file, Torrent torrent) {
    requireFree(file, torrent.infoHash());
    TorrentSession existing = sessions.get(torrent.infoHash());
    if (existing != null && !existing.isSeeding()) {
      throw new MinibitException(ErrorCode.FAILED_PRECONDITION, String.format(
          "%s is being downloaded into %s; remove that transfer before sharing this copy",
          torrent.name(), existing.store().finalPath().getParent()));
    }
    return Optional.ofNullable(existing);
  }

  /**
   * Starts downloading the torrent {@code request} names into its destination, or returns the
   * session already holding it.
   */
  public TorrentSession download(DownloadRequest request) throws IOException {
    String what = switch (request.getTorrentCase()) {
      case INFOHASH -> InfoHash.parse(request.getInfohash()).hex();
      case NAME -> Validation.requireFileName("name", request.getName());
      case TORRENT_NOT_SET -> throw MinibitException.invalid("give an infohash or a name");
    };
    if (request.getTorrentCase() == DownloadRequest.TorrentCase.INFOHASH) {
      TorrentSession existing = sessions.get(InfoHash.parse(what));
      if (existing != null && !failedMidway(existing)) {
        cache.used(existing.torrent().infoHash());
        return heldWhereAsked(existing, request.getDestination());
      }
    }
    DownloadTrace trace = DownloadTrace.start(telemetry.tracer(), what);
    try {
      return trace.within(() -> {
        Torrent torrent = request.getTorrentCase() == DownloadRequest.TorrentCase.NAME
            ? tracker.manifest(what) : manifest(InfoHash.parse(what));
        trace.torrent(torrent);
        synchronized (this) {
          TorrentSession existing = sessions.get(torrent.infoHash());
          if (existing != null && failedMidway(existing)) {
            return retry(existing, trace);
          }
          if (existing != null) {
            trace.endAttached();
            cache.used(torrent.infoHash());
            return heldWhereAsked(existing, request.getDestination());
          }
          Path directory = downloadDirectory(request.getDestination());
          Path target = SafePaths.fileIn(directory, torrent.name());
          requireFree(target, torrent.infoHash());
          if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new MinibitException(ErrorCode.FAILED_PRECONDITION, String.format(
                "%s already exists; remove it or download somewhere else", target));
          }
          makeRoom(torrent);
          records.save(torrent, directory);
          Instant now = clock.instant();
          records.saveLastUse(torrent.infoHash(), now);
          cache.add(torrent.infoHash(), now);
          return startDownload(torrent, BlockStore.openUnchecked(torrent, directory), trace);
        }
      });
    } catch (IOException | RuntimeException e) {
      trace.end(e);
      throw e;
    }
  }

  /**
   * {@code session}, which already holds the torrent a download asks for, if it holds it where
   * {@code destination} says (or none is given); FAILED_PRECONDITION if it is elsewhere: a
   * torrent lives in one place on a peer, and a `get -o` that said nothing of it would leave the
   * caller looking for the file where it is not.
   */
  private TorrentSession heldWhereAsked(TorrentSession session, String destination) {
    if (destination.isEmpty()) {
      return session;
    }
    Path held = session.store().finalPath().getParent();
    Path asked;
    try {
      asked = dataDir.resolve(destination).normalize();
    } catch (InvalidPathException e) {
      throw MinibitException.invalid("%s is not a valid path", Validation.printable(destination));
    }
    if (realOrSelf(asked).equals(realOrSelf(held))) {
      return session;
    }
    throw new MinibitException(ErrorCode.FAILED_PRECONDITION, String.format(
        "this peer already holds %s in %s (%s); a torrent is kept in one place: use that copy, "
            + "or remove the transfer first to fetch it into %s", session.torrent().name(), held,
        session.isSeeding() ? "seeding" : "downloading", Validation.printable(destination)));
  }

  /** {@code path} with its symbolic links resolved if it exists; as it is otherwise. */
  private static Path realOrSelf(Path path) {
    try {
      return path.toRealPath();
    } catch (IOException e) {
      return path.toAbsolutePath().normalize();
    }
  }

  /**
   * The swarm of {@code session} as this peer sees it: itself and the peers its download knows
   * (a seed whose download is over sees only itself).
   */
  public SwarmHealth health(TorrentSession session) {
    List<SwarmHealthCalculator.Member> members = new ArrayList<>();
    members.add(new SwarmHealthCalculator.Member(peerId, session.store().bitfield(),
        session.store().haveCount(), session.isSeeding(), session.downloadRate()));
    download(session).ifPresent(download -> members.addAll(download.members()));
    return SwarmHealthCalculator.compute(session.torrent(), members);
  }

  /**
   * Starts a failed download again (a full disk since freed, say) from the blocks it verified;
   * the caller holds the daemon's lock.
   */
  private TorrentSession retry(TorrentSession failed, DownloadTrace trace) throws IOException {
    Torrent torrent = failed.torrent();
    sessions.remove(torrent.infoHash());
    announcer.remove(torrent.infoHash());
    failed.subscribers().closeAll(Status.UNAVAILABLE.withDescription("download restarted"));
    Path directory = failed.store().finalPath().getParent();
    failed.store().close();
    log.info(() -> "retrying the failed download of " + torrent);
    return startDownload(torrent, BlockStore.openUnchecked(torrent, directory), trace);
  }

  /** The manifest of a torrent this peer has a session for (even a failed one), or the tracker's. */
  private Torrent manifest(InfoHash infoHash) {
    TorrentSession known = sessions.get(infoHash);
    return known != null ? known.torrent() : tracker.manifest(infoHash);
  }

  /**
   * A download that failed before its file got its name (a full disk, or the name taken by
   * another file): worth a retry.
   */
  private static boolean failedMidway(TorrentSession session) {
    return session.completion().isCompletedExceptionally() && !session.store().isFinished();
  }

  /**
   * The directory {@code destination} names inside the data directory, created if needed;
   * INVALID_ARGUMENT if it lies outside, or in the daemon's state directory.
   */
  private Path downloadDirectory(String destination) throws IOException {
    String shown = Validation.printable(destination);
    try {
      if (dataDir.resolve(destination).normalize().startsWith(stateDir())) {
        throw MinibitException.invalid("%s is in the daemon's own state directory", shown);
      }
    } catch (InvalidPathException e) {
      throw MinibitException.invalid("%s is not a valid path", shown);
    }
    Path directory = SafePaths.directoryInside(dataDir, destination);
    if (directory.startsWith(stateDir())) { // reached through a symbolic link
      throw MinibitException.invalid("%s is in the daemon's own state directory", shown);
    }
    return directory;
  }

  private Path stateDir() {
    return dataDir.resolve(STATE_DIR);
  }

  /**
   * FAILED_PRECONDITION if another torrent's transfer (seeding or downloading) holds {@code file}:
   * two transfers never write, or serve, one path. The caller holds the daemon's lock.
   */
  private void requireFree(Path file, InfoHash infoHash) {
    for (TorrentSession other : sessions.values()) {
      if (!other.torrent().infoHash().equals(infoHash) && other.store().finalPath().equals(file)) {
        throw new MinibitException(ErrorCode.FAILED_PRECONDITION, String.format(
            "%s is taken by the transfer of torrent %s (%s); remove that transfer or download "
                + "somewhere else", file, other.torrent().infoHash().hex(),
            other.isSeeding() ? "seeding" : "downloading"));
      }
    }
  }

  /** Why a download is not progressing and for how long; zero when it is. */
  public Duration stalledFor(TorrentSession session) {
    return download(session).map(Download::stalledFor).orElse(Duration.ZERO);
  }

  /** Stops a transfer and leaves its swarm; deletes its file too if asked. */
  public void remove(InfoHash infoHash, boolean deleteData) throws IOException {
    TorrentSession session;
    synchronized (this) {
      session = sessions.remove(infoHash);
      if (session == null) {
        throw MinibitException.notFound("this peer has no transfer %s", infoHash);
      }
      records.delete(infoHash);
      cache.forget(infoHash);
    }
    Download download = downloads.remove(infoHash);
    if (download != null) {
      download.close();
    }
    announcer.remove(infoHash);
    session.subscribers().closeAll(Status.NOT_FOUND.withDescription("torrent removed"));
    session.fail(new MinibitException(ErrorCode.NOT_FOUND, "the transfer was removed"));
    if (deleteData) {
      session.store().delete();
    } else {
      session.store().close();
    }
    log.info(() -> "removed " + session + (deleteData ? " and its data" : ""));
  }

  /**
   * Every second: removes the downloaded files the cache's limits say to (idle past
   * {@code --seed-ttl}, or the least recently used while over {@code --cache-max-bytes}), and
   * notes when each was last used.
   */
  private void keepCache() {
    try {
      for (TorrentSession session : cache.toEvict(sessions.values(), 0)) {
        evict(session);
      }
      cache.save(sessions.values());
    } catch (RuntimeException e) {
      log.log(java.util.logging.Level.WARNING, "keeping the cache failed", e);
    }
  }

  /**
   * Removes the least recently used downloaded files until {@code torrent} fits in the cache;
   * RESOURCE_EXHAUSTED if it could never fit. The caller holds the daemon's lock.
   */
  private void makeRoom(Torrent torrent) {
    long max = config.limits().cacheMaxBytes();
    if (max > 0 && torrent.size() > max) {
      throw new MinibitException(ErrorCode.RESOURCE_EXHAUSTED, String.format(
          "%s is %d bytes, more than the cache may hold (--cache-max-bytes %d)",
          torrent.name(), torrent.size(), max));
    }
    for (TorrentSession session : cache.toEvict(sessions.values(), torrent.size())) {
      evict(session);
    }
  }

  private void evict(TorrentSession session) {
    InfoHash infoHash = session.torrent().infoHash();
    try {
      remove(infoHash, true);
      cache.evicted();
      log.info(() -> String.format("evicted %s from the cache (last used %s; the cache now "
          + "holds %d bytes)", session, session.lastUploadAt() == null ? "before this start"
          : session.lastUploadAt(), cache.bytes(sessions.values())));
    } catch (MinibitException e) {
      // removed meanwhile by its owner: nothing left to do
    } catch (IOException e) {
      log.warning(() -> "cannot evict " + session + ": " + e.getMessage());
    }
  }

  /** The daemon's limits and how much of them is in use. */
  public Usage usage() {
    PeerConfig.Limits limits = config.limits();
    return new Usage(limits, cache.bytes(sessions.values()), cache.evictions());
  }

  /**
   * The daemon's limits and what its downloaded files take.
   *
   * @param cacheBytes bytes the files this daemon downloaded take (or will, once complete)
   * @param evictions downloaded files removed by the cache's limits since the daemon started
   */
  public record Usage(PeerConfig.Limits limits, long cacheBytes, long evictions) {}

  /** Every choke interval: each torrent's upload slots are given out again. */
  private void rechoke() {
    for (TorrentSession session : sessions.values()) {
      try {
        session.uploadSlots().rechoke();
      } catch (RuntimeException e) {
        log.log(java.util.logging.Level.WARNING, "rechoking " + session + " failed", e);
      }
    }
  }

  /** Every second: seeders offer more blocks to peers that got their offered ones elsewhere. */
  private void topUpOffers() {
    for (TorrentSession session : sessions.values()) {
      try {
        session.topUpOffers();
      } catch (RuntimeException e) {
        log.log(java.util.logging.Level.WARNING, "offering blocks of " + session + " failed", e);
      }
    }
  }

  /** Every second: each torrent tells its subscribers the peers they are due (peer exchange). */
  private void exchangePeers() {
    for (TorrentSession session : sessions.values()) {
      try {
        session.exchangePeers();
      } catch (RuntimeException e) {
        log.log(java.util.logging.Level.WARNING, "exchanging peers of " + session + " failed", e);
      }
    }
  }

  private TorrentSession newSession(Torrent torrent, BlockStore store) {
    PeerConfig.Swarm swarm = config.swarm();
    Choker choker = new Choker(swarm.choking(), swarm.uploadSlots(), swarm.optimisticInterval(),
        random);
    TorrentSession session = new TorrentSession(torrent, store, clock, hashExecutor, choker,
        swarm.superSeeding(), new PeerExchange(peerId, clock, metrics::peersExchanged),
        new RunningDownloadView(() -> downloads.get(torrent.infoHash())),
        () -> announcer.peerJoined(torrent.infoHash()));
    sessions.put(torrent.infoHash(), session);
    return session;
  }

  /**
   * Runs the download of {@code torrent} into {@code store}, whose record is saved already; the
   * caller holds the daemon's lock. If it cannot start, the store is closed and no session is
   * left behind.
   */
  private TorrentSession startDownload(Torrent torrent, BlockStore store, DownloadTrace trace)
      throws IOException {
    try {
      return runDownload(torrent, store, trace);
    } catch (RuntimeException e) {
      sessions.remove(torrent.infoHash());
      downloads.remove(torrent.infoHash());
      announcer.remove(torrent.infoHash());
      store.close();
      throw e;
    }
  }

  private TorrentSession runDownload(Torrent torrent, BlockStore store, DownloadTrace trace) {
    TorrentSession session = newSession(torrent, store);
    if (store.uncheckedBlocks() == 0) {
      fetch(session, trace);
      return session;
    }
    // Hashing what a large file already holds takes a while: the transfer shows as checking
    // meanwhile, and no control call waits for it.
    log.info(() -> String.format("checking the %d blocks of %s already in %s",
        store.uncheckedBlocks(), torrent, store.finalPath().getParent()));
    shareHashers.execute(() -> checkThenFetch(session, trace));
    return session;
  }

  /** Hashes the blocks {@code session}'s store claims, then fetches the rest. */
  private void checkThenFetch(TorrentSession session, DownloadTrace trace) {
    Torrent torrent = session.torrent();
    try {
      session.store().check();
    } catch (ClosedChannelException e) {
      return; // the transfer was removed meanwhile
    } catch (IOException | RuntimeException e) {
      synchronized (this) {
        if (sessions.get(torrent.infoHash()) == session) {
          session.fail(new MinibitException(ErrorCode.INTERNAL, String.format(
              "cannot check the blocks of %s already on disk: %s", torrent.name(),
              e.getMessage()), e));
          trace.end(e);
        }
      }
      return;
    }
    synchronized (this) {
      if (sessions.get(torrent.infoHash()) != session) {
        return; // removed meanwhile
      }
      session.checked();
      try {
        fetch(session, trace);
      } catch (RuntimeException e) {
        downloads.remove(torrent.infoHash());
        announcer.remove(torrent.infoHash());
        session.fail(new MinibitException(ErrorCode.INTERNAL,
            "cannot start the download of " + torrent.name() + ": " + e.getMessage(), e));
        trace.end(e);
      }
    }
  }

  /** Starts fetching what {@code session}'s store lacks; the caller holds the daemon's lock. */
  private void fetch(TorrentSession session, DownloadTrace trace) {
    Torrent torrent = session.torrent();
    BlockStore store = session.store();
    Download download = new Download(session, peerId, peerChannels, downloadPool, scheduler,
        hashExecutor, clock, random, allocation, trace, fetchStats, downloadLimiter, path -> {
          cache.used(torrent.infoHash());
          noteVerified(torrent, path);
        });
    downloads.put(torrent.infoHash(), download);
    session.completion().whenComplete((path, failure) -> {
      downloads.remove(torrent.infoHash());
      metrics.downloadEnded(session, failure);
      if (failure == null) {
        announcer.completed(session);
      }
      trace.end(failure);
    });
    log.info(() -> String.format("downloading %s into %s (%d of %d blocks already here)",
        torrent, store.finalPath().getParent(), store.resumedBlocks(), torrent.blockCount()));
    announcer.add(session, download::addPeers, trace.context());
    download.start();
  }

  /** Remembers how the verified file of {@code torrent} looks, to tell after a restart if it changed. */
  private void noteVerified(Torrent torrent, Path file) {
    try {
      records.saveVerified(torrent, FileStamp.of(file));
    } catch (IOException e) {
      log.warning(() -> "cannot note that " + file + " is verified (it will be checked again "
          + "after a restart): " + e.getMessage());
    }
  }

  /**
   * Seeds again what an earlier run finished, checking again (and repairing from the swarm) any
   * file that changed since it was verified; resumes what it did not finish.
   */
  private void restore() throws IOException {
    for (TransferRecords.Record record : records.loadAll()) {
      Torrent torrent = record.torrent();
      try {
        if (!Files.isDirectory(record.directory())) {
          log.warning(() -> "forgetting " + torrent + ": " + record.directory() + " is gone");
          records.delete(torrent.infoHash());
          continue;
        }
        // a record is state on disk like any other input: it may not lead out of the data directory
        Path directory = SafePaths.existingInside(dataDir, record.directory().toString());
        if (directory.startsWith(stateDir())) {
          throw MinibitException.invalid("%s is the daemon's state directory", directory);
        }
        record.lastUse().ifPresent(when -> cache.add(torrent.infoHash(), when));
        restore(torrent, directory, record.verified());
      } catch (IOException | MinibitException e) {
        log.warning(() -> "cannot restore " + torrent + " from " + record.directory() + ": "
            + e.getMessage());
      }
    }
  }

  private synchronized void restore(Torrent torrent, Path directory, Optional<FileStamp> verified)
      throws IOException {
    Path file = directory.resolve(torrent.name());
    BlockStore.adoptLegacyPart(directory, torrent);
    if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      BlockStore.clearFinishLeftovers(directory, torrent);
      FileStamp now = FileStamp.of(file);
      if (verified.isPresent() && verified.get().equals(now)) {
        TorrentSession session = newSession(torrent, BlockStore.openComplete(torrent, file));
        announcer.add(session, session::heardFromTracker);
        log.info(() -> "seeding " + torrent + " again from " + file);
        return;
      }
      log.warning(() -> String.format("%s changed since it was verified (%s, now %d bytes): "
          + "checking every block again, and fetching the ones that fail", file,
          verified.map(stamp -> stamp.size() + " bytes then").orElse("no record of it"),
          now.size()));
      startDownload(torrent, BlockStore.reverify(torrent, directory), restoredTrace(torrent));
    } else if (Files.exists(BlockStore.partPath(directory, torrent), LinkOption.NOFOLLOW_LINKS)) {
      startDownload(torrent, BlockStore.openUnchecked(torrent, directory), restoredTrace(torrent));
    } else {
      log.warning(() -> "forgetting " + torrent + ": " + file + " is gone");
      records.delete(torrent.infoHash());
    }
  }

  private DownloadTrace restoredTrace(Torrent torrent) {
    DownloadTrace trace = DownloadTrace.start(telemetry.tracer(), torrent.infoHash().hex());
    trace.torrent(torrent);
    return trace;
  }

  /** True while the peer service takes calls: what the HTTP {@code /healthz} reports. */
  public boolean isServing() {
    return peerServer.isServing();
  }

  /** Stops fetching, leaves every swarm, then stops serving: open streams get a second. */
  @Override
  public void close() {
    downloads.values().forEach(Download::close);
    announcer.close();
    controlServers.forEach(server -> server.close(SHUTDOWN_GRACE));
    peerServer.close(SHUTDOWN_GRACE);
    for (TorrentSession session : sessions.values()) {
      try {
        session.store().close();
      } catch (IOException e) {
        log.warning(() -> "closing " + session + ": " + e.getMessage());
      }
    }
    peerChannels.close();
    scheduler.shutdownNow();
    downloadPool.shutdownNow();
    hashExecutor.shutdownNow();
    shareHashers.shutdownNow();
    try {
      hashExecutor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

}
