package io.minibit.tracker;

import io.grpc.stub.StreamObserver;
import io.minibit.api.v2.AnnounceRequest;
import io.minibit.api.v2.AnnounceResponse;
import io.minibit.api.v2.GetManifestRequest;
import io.minibit.api.v2.GetManifestResponse;
import io.minibit.api.v2.GetSwarmHealthRequest;
import io.minibit.api.v2.GetSwarmHealthResponse;
import io.minibit.api.v2.HeartbeatRequest;
import io.minibit.api.v2.HeartbeatResponse;
import io.minibit.api.v2.ListTorrentsRequest;
import io.minibit.api.v2.ListTorrentsResponse;
import io.minibit.api.v2.PublishRequest;
import io.minibit.api.v2.PublishResponse;
import io.minibit.api.v2.TorrentSummary;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.core.SwarmHealthProtos;
import io.minibit.core.Torrent;
import io.minibit.core.Validation;
import io.minibit.core.grpc.CallerAddress;
import io.minibit.core.grpc.ErrorMappingInterceptor;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The Tracker gRPC API of tracker.proto: validates every request field, converts between proto
 * and domain types and delegates to the {@link CatalogStore} and the {@link SwarmStore}. Failures
 * are thrown as {@link MinibitException}s for the server's error-mapping interceptor; the
 * {@link CallerAddress} interceptor must be installed for announces with an empty host, and the
 * {@link io.minibit.core.grpc.ClientCertificate} one for publishers known by their TLS
 * certificates.
 *
 * <p>Thread-safe: it holds no mutable state of its own.
 */
public final class TrackerGrpcService extends TrackerServiceGrpc.TrackerServiceImplBase {
  /** Torrents in a ListTorrents page when the request leaves page_size at 0. */
  public static final int DEFAULT_PAGE_SIZE = 100;
  /** Most torrents in a ListTorrents page; a larger page_size counts as this. */
  public static final int MAX_PAGE_SIZE = 1000;

  private final CatalogStore catalog;
  private final SwarmStore registry;
  private final TrackerConfig config;
  private final CallerProofs proofs;

  public TrackerGrpcService(CatalogStore catalog, SwarmStore registry, TrackerConfig config) {
    this(catalog, registry, config, Clock.systemUTC());
  }

  /** @param clock what a proof's signing time is checked against */
  public TrackerGrpcService(CatalogStore catalog, SwarmStore registry, TrackerConfig config,
      Clock clock) {
    this.catalog = catalog;
    this.registry = registry;
    this.config = config;
    this.proofs = new CallerProofs(clock);
  }

  @Override
  public void publish(PublishRequest request, StreamObserver<PublishResponse> responses) {
    if (!request.hasManifest()) {
      throw MinibitException.invalid("manifest is missing");
    }
    Torrent torrent = Torrent.of(request.getManifest());
    CatalogStore.Published published = catalog.publish(torrent, proofs.publisher(request, torrent));
    reply(responses, PublishResponse.newBuilder()
        .setInfohash(published.torrent().infoHash().hex())
        .setCreated(published.created())
        .build());
  }

  @Override
  public void getManifest(GetManifestRequest request,
      StreamObserver<GetManifestResponse> responses) {
    Torrent torrent = switch (request.getTorrentCase()) {
      case INFOHASH -> {
        InfoHash infoHash = InfoHash.parse(request.getInfohash());
        yield catalog.get(infoHash).orElseThrow(() -> unknownTorrent(infoHash));
      }
      case NAME -> {
        String name = Validation.requireFileName("name", request.getName());
        yield catalog.byName(name).orElseThrow(() -> MinibitException.notFound(
            "no torrent named '%s' in the catalog", Validation.printable(name)));
      }
      case TORRENT_NOT_SET -> throw MinibitException.invalid("set one of infohash or name");
    };
    reply(responses, GetManifestResponse.newBuilder()
        .setInfohash(torrent.infoHash().hex())
        .setManifest(torrent.manifest())
        .build());
  }

  @Override
  public void listTorrents(ListTorrentsRequest request,
      StreamObserver<ListTorrentsResponse> responses) {
    int pageSize = pageSize(request.getPageSize());
    Optional<CatalogPosition> after = request.getPageToken().isEmpty()
        ? Optional.empty()
        : Optional.of(CatalogPosition.parse(request.getPageToken()));
    // One more than a page, to know whether a next one exists without ever sending an empty one.
    List<Torrent> torrents = catalog.page(after, pageSize + 1);
    ListTorrentsResponse.Builder list = ListTorrentsResponse.newBuilder();
    if (torrents.size() > pageSize) {
      torrents = torrents.subList(0, pageSize);
      list.setNextPageToken(CatalogPosition.of(torrents.get(pageSize - 1)).token());
    }
    Map<InfoHash, SwarmStore.SwarmCounts> allCounts =
        registry.counts(torrents.stream().map(Torrent::infoHash).toList());
    Set<InfoHash> latest = catalog.latestOf(torrents);
    for (Torrent torrent : torrents) {
      SwarmStore.SwarmCounts counts = allCounts.get(torrent.infoHash());
      list.addTorrents(TorrentSummary.newBuilder()
          .setInfohash(torrent.infoHash().hex())
          .setName(torrent.name())
          .setSize(torrent.size())
          .setBlockCount(torrent.blockCount())
          .setSeeders(counts.seeders())
          .setLeechers(counts.leechers())
          .setLatest(latest.contains(torrent.infoHash())));
    }
    reply(responses, list.build());
  }

  /** The page size {@code requested} stands for; INVALID_ARGUMENT if negative. */
  static int pageSize(int requested) {
    if (requested < 0) {
      throw MinibitException.invalid("page_size %d is negative: give 1..%d, or 0 for %d",
          requested, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE);
    }
    return requested == 0 ? DEFAULT_PAGE_SIZE : Math.min(requested, MAX_PAGE_SIZE);
  }

  @Override
  public void announce(AnnounceRequest request, StreamObserver<AnnounceResponse> responses) {
    InfoHash infoHash = InfoHash.parse(request.getInfohash());
    String peerId = Validation.requirePeerId("peer_id", request.getPeerId());
    int port = Validation.requirePort("port", Integer.toUnsignedLong(request.getPort()));
    String host = dialableHost(request.getHost());
    SwarmStore.Event event = SwarmProtos.event(request);
    int numWant = SwarmProtos.numWant(request);
    // A signature is checked only where the token alone does not do: peers send a proof with
    // the announce that opens a session. The announces and heartbeats of a live session cost
    // what they always did.
    boolean proven = request.hasProof();
    if (proven) {
      proofs.requirePeer(peerId, request.getProof());
    }
    String source = CallerAddress.current().orElse(null); // read on the call's own thread

    replyWhenDone(catalog.getAsync(infoHash).thenCompose(found -> {
      Torrent torrent = found.orElseThrow(() -> unknownTorrent(infoHash));
      return registry.announceAsync(SwarmProtos.announce(request, torrent, peerId, host, port,
          event, numWant, proven, source));
    }), responses, result -> SwarmProtos.response(result, config));
  }

  @Override
  public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> responses) {
    String peerId = Validation.requirePeerId("peer_id", request.getPeerId());
    replyWhenDone(registry.heartbeatAsync(peerId, request.getSessionToken()), responses,
        done -> HeartbeatResponse.newBuilder()
            .setIntervalMs((int) config.heartbeatInterval().toMillis())
            .build());
  }

  /**
   * Answers with {@code response} of what {@code result} comes to: at once if it is done (a
   * failure is thrown, for the error-mapping interceptor), else on the thread that completes it.
   */
  private static <T, R> void replyWhenDone(CompletableFuture<T> result,
      StreamObserver<R> responses, Function<T, R> response) {
    if (result.isDone()) {
      reply(responses, response.apply(Futures.join(result)));
      return;
    }
    result.whenComplete((value, failure) -> {
      if (failure != null) {
        responses.onError(ErrorMappingInterceptor.toStatusException(Futures.unwrap(failure)));
        return;
      }
      try {
        reply(responses, response.apply(value));
      } catch (RuntimeException e) {
        responses.onError(ErrorMappingInterceptor.toStatusException(e));
      }
    });
  }

  @Override
  public void getSwarmHealth(GetSwarmHealthRequest request,
      StreamObserver<GetSwarmHealthResponse> responses) {
    InfoHash infoHash = InfoHash.parse(request.getInfohash());
    Torrent torrent = catalog.get(infoHash).orElseThrow(() -> unknownTorrent(infoHash));
    SwarmStore.SwarmCounts counts = registry.counts(infoHash);
    int members = counts.seeders() + counts.leechers();
    if (members > config.limits().maxHealthMembers()) {
      throw new MinibitException(ErrorCode.RESOURCE_EXHAUSTED, String.format(
          "swarm %s has %d members; this tracker answers GetSwarmHealth for swarms of at most"
              + " %d (--max-health-members)", infoHash, members,
          config.limits().maxHealthMembers()));
    }
    reply(responses, GetSwarmHealthResponse.newBuilder()
        .setHealth(SwarmHealthProtos.toProto(registry.health(torrent)))
        .build());
  }

  /**
   * The host other peers should dial: the advertised one (a peer behind NAT or in a container
   * knows its reachable address better than the tracker does), else the caller's address.
   */
  private String dialableHost(String advertised) {
    Optional<String> caller = CallerAddress.current();
    if (advertised.isEmpty()) {
      return caller.orElseThrow(() -> MinibitException.invalid(
          "host is empty and the tracker cannot see the caller's address: set host"));
    }
    Validation.requireHost("host", advertised);
    if (!config.trustAdvertisedAddresses() && caller.isPresent()) {
      return caller.get();
    }
    return advertised;
  }

  private static MinibitException unknownTorrent(InfoHash infoHash) {
    return MinibitException.notFound("no torrent with infohash %s in the catalog", infoHash);
  }

  private static <T> void reply(StreamObserver<T> responses, T response) {
    responses.onNext(response);
    responses.onCompleted();
  }
}
