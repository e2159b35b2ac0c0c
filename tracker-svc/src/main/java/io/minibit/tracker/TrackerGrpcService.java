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
import io.minibit.api.v2.PeerEndpoint;
import io.minibit.api.v2.Proof;
import io.minibit.api.v2.PublishRequest;
import io.minibit.api.v2.PublishResponse;
import io.minibit.api.v2.TorrentSummary;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.Bitfield;
import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import io.minibit.core.Validation;
import io.minibit.core.grpc.CallerAddress;
import io.minibit.core.grpc.ErrorMappingInterceptor;
import io.minibit.core.grpc.ClientCertificate;
import io.minibit.core.identity.Signatures;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * The Tracker gRPC API of tracker.proto: validates every request field, converts between proto
 * and domain types and delegates to the {@link CatalogStore} and the {@link SwarmStore}. Failures
 * are thrown as {@link MinibitException}s for the server's error-mapping interceptor; the
 * {@link CallerAddress} interceptor must be installed for announces with an empty host, and the
 * {@link ClientCertificate} one for publishers known by their TLS certificates.
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
  private final Clock clock;

  public TrackerGrpcService(CatalogStore catalog, SwarmStore registry, TrackerConfig config) {
    this(catalog, registry, config, Clock.systemUTC());
  }

  /** @param clock what a proof's signing time is checked against */
  public TrackerGrpcService(CatalogStore catalog, SwarmStore registry, TrackerConfig config,
      Clock clock) {
    this.catalog = catalog;
    this.registry = registry;
    this.config = config;
    this.clock = clock;
  }

  @Override
  public void publish(PublishRequest request, StreamObserver<PublishResponse> responses) {
    if (!request.hasManifest()) {
      throw MinibitException.invalid("manifest is missing");
    }
    Torrent torrent = Torrent.of(request.getManifest());
    CatalogStore.Published published = catalog.publish(torrent, publisher(request, torrent));
    reply(responses, PublishResponse.newBuilder()
        .setInfohash(published.torrent().infoHash().hex())
        .setCreated(published.created())
        .build());
  }

  /**
   * Who publishes: the caller's client certificate if it showed one, else the key whose proof
   * signs the manifest's infohash.
   */
  private Publisher publisher(PublishRequest request, Torrent torrent) {
    Optional<String> certificate = ClientCertificate.current();
    if (certificate.isPresent()) {
      return new Publisher(certificate.get());
    }
    if (!request.hasProof()) {
      throw new MinibitException(ErrorCode.UNAUTHENTICATED, "the publish of " + torrent
          + " is not signed: a publish carries a proof (the publisher's Ed25519 key and its"
          + " signature) unless it comes with a TLS client certificate; peers of this version"
          + " sign every publish: upgrade the one that sent it");
    }
    Signatures.Claim claim = claim(request.getProof());
    Signatures.verify("proof", claim,
        Signatures.publishMessage(torrent.infoHash(), claim.signedAt()), clock.instant());
    return Publisher.ofKey(Signatures.fingerprint(claim.publicKey()));
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
    SwarmStore.Event event = switch (request.getEvent()) {
      case ANNOUNCE_EVENT_UNSPECIFIED -> SwarmStore.Event.NONE;
      case ANNOUNCE_EVENT_STARTED -> SwarmStore.Event.STARTED;
      case ANNOUNCE_EVENT_COMPLETED -> SwarmStore.Event.COMPLETED;
      case ANNOUNCE_EVENT_STOPPED -> SwarmStore.Event.STOPPED;
      case UNRECOGNIZED -> throw MinibitException.invalid(
          "event %d is not an AnnounceEvent", request.getEventValue());
    };
    // num_want is unsigned on the wire: a huge value must mean "many", not a negative int.
    int numWant = (int) Math.min(Integer.toUnsignedLong(request.getNumWant()),
        SwarmRegistry.MAX_SAMPLE_SIZE);
    // A signature is checked only where the token alone does not do: peers send a proof with
    // the announce that opens a session. The announces and heartbeats of a live session cost
    // what they always did.
    boolean proven = false;
    if (request.hasProof()) {
      requireProofOf(peerId, claim(request.getProof()));
      proven = true;
    }
    boolean isProven = proven;
    String source = CallerAddress.current().orElse(null); // read on the call's own thread

    replyWhenDone(catalog.getAsync(infoHash).thenCompose(found -> {
      Torrent torrent = found.orElseThrow(() -> unknownTorrent(infoHash));
      Bitfield have = request.hasHave() ? bitfield(request.getHave(), torrent) : null;
      long haveCount = have != null ? have.cardinality()
          : Integer.toUnsignedLong(request.getHaveCount());
      double rate = request.getDownloadRate();
      if (!Double.isFinite(rate) || rate < 0) {
        throw MinibitException.invalid("download_rate %s is not a rate in bytes per second",
            rate);
      }
      if (haveCount > torrent.blockCount()) {
        throw MinibitException.invalid("have_count %d is more than the %d blocks of %s",
            haveCount, torrent.blockCount(), torrent);
      }
      return registry.announceAsync(new SwarmStore.Announce(infoHash, peerId, host, port,
          event, (int) haveCount, request.getComplete(), request.getUploaded(),
          request.getDownloaded(), request.getSessionToken(), numWant, have, rate, isProven,
          source));
    }), responses, this::announced);
  }

  private AnnounceResponse announced(SwarmStore.AnnounceResult result) {
    AnnounceResponse.Builder response = AnnounceResponse.newBuilder()
        .setIntervalMs((int) config.announceInterval().toMillis())
        .setHeartbeatIntervalMs((int) config.heartbeatInterval().toMillis())
        .setSessionToken(result.sessionToken())
        .setSeeders(result.counts().seeders())
        .setLeechers(result.counts().leechers());
    for (SwarmStore.Peer peer : result.peers()) {
      response.addPeers(PeerEndpoint.newBuilder()
          .setPeerId(peer.peerId())
          .setHost(peer.host())
          .setPort(peer.port())
          .setComplete(peer.complete()));
    }
    return response.build();
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
      reply(responses, response.apply(RedisStore.join(result)));
      return;
    }
    result.whenComplete((value, failure) -> {
      if (failure != null) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause() : failure;
        responses.onError(ErrorMappingInterceptor.toStatusException(cause));
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
    reply(responses, GetSwarmHealthResponse.newBuilder().setHealth(registry.health(torrent))
        .build());
  }

  /** Checks that {@code claim} proves the caller holds the key {@code peerId} derives from. */
  private void requireProofOf(String peerId, Signatures.Claim claim) {
    Signatures.verify("proof", claim, Signatures.sessionMessage(peerId, claim.signedAt()),
        clock.instant());
    String provenId = Signatures.peerIdOf(claim.publicKey());
    if (!provenId.equals(peerId)) {
      throw new MinibitException(ErrorCode.UNAUTHENTICATED, String.format(
          "proof.public_key is the key of peer %s, not of peer_id %s: a peer announces under"
              + " the id its own key derives from", provenId, peerId));
    }
  }

  /** A proof as it arrived, its sizes checked (INVALID_ARGUMENT), its signature not yet. */
  private static Signatures.Claim claim(Proof proof) {
    Signatures.publicKey("proof.public_key", proof.getPublicKey().toByteArray());
    if (proof.getSignature().size() != Signatures.SIGNATURE_BYTES) {
      throw MinibitException.invalid("proof.signature has %d bytes; an Ed25519 signature has %d",
          proof.getSignature().size(), Signatures.SIGNATURE_BYTES);
    }
    return new Signatures.Claim(proof.getPublicKey().toByteArray(),
        Instant.ofEpochMilli(proof.getSignedAtMs()), proof.getSignature().toByteArray());
  }

  /** An announced bitfield, checked against its torrent. */
  private static Bitfield bitfield(io.minibit.api.v2.Bitfield wire, Torrent torrent) {
    if (wire.getBlockCount() != torrent.blockCount()) {
      throw MinibitException.invalid("have.block_count %d is not the %d blocks of %s",
          Integer.toUnsignedLong(wire.getBlockCount()), torrent.blockCount(), torrent);
    }
    try {
      return Bitfield.fromBytes(torrent.blockCount(), wire.getBits().toByteArray());
    } catch (MinibitException e) {
      throw MinibitException.invalid("have: %s", e.getMessage());
    }
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
