package io.minibit.peer.swarm;

import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.minibit.api.v2.AnnounceRequest;
import io.minibit.api.v2.AnnounceResponse;
import io.minibit.api.v2.GetManifestRequest;
import io.minibit.api.v2.HeartbeatRequest;
import io.minibit.api.v2.HeartbeatResponse;
import io.minibit.api.v2.ListTorrentsRequest;
import io.minibit.api.v2.ListTorrentsResponse;
import io.minibit.api.v2.Manifest;
import io.minibit.api.v2.PublishRequest;
import io.minibit.api.v2.TorrentSummary;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import io.minibit.core.identity.PeerKey;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The peer's view of the tracker: each call has a deadline, UNAVAILABLE is retried by the
 * channel's service config, and failures come back as {@link MinibitException}s whose messages
 * name the tracker. Publishes are signed with the peer's key. An announce that opens a session
 * (no token yet, or one the tracker no longer holds) carries a proof of the peer id; the others
 * carry the token alone, as before. Thread-safe.
 */
public final class TrackerClient {
  private static final long DEADLINE_SECONDS = 5;

  /** What {@link #watch} reports, on a gRPC thread. */
  public interface Watcher {
    /** The tracker says whether it serves: true at once, false as it shuts down. */
    void serving(boolean serving);

    /**
     * The stream ended: the tracker went away, or cannot be reached. {@code unsupported} if it
     * has no health service to watch (then watching again is no use).
     */
    void ended(boolean unsupported);
  }

  private final TrackerServiceGrpc.TrackerServiceBlockingStub stub;
  private final HealthGrpc.HealthStub health;
  private final String target;
  private final Runnable reconnectNow;
  private final PeerKey key;
  private final Clock clock;

  /**
   * @param reconnectNow makes the channel dial the tracker on the next call instead of waiting
   *     out its reconnect backoff (which grows to minutes while a tracker is down); run after
   *     every failure to reach it, since the callers pace their own retries
   * @param key signs this peer's publishes and proves its peer id
   * @param clock the time proofs are signed at (the tracker accepts them within minutes of its
   *     own)
   */
  public TrackerClient(Channel channel, String target, Runnable reconnectNow, PeerKey key,
      Clock clock) {
    this.stub = TrackerServiceGrpc.newBlockingStub(channel);
    this.health = HealthGrpc.newStub(channel);
    this.target = target;
    this.reconnectNow = reconnectNow;
    this.key = key;
    this.clock = clock;
  }

  public String target() {
    return target;
  }

  /**
   * Publishes a manifest, signed; returns true if the tracker did not have it yet.
   * PERMISSION_DENIED if its name belongs to another publisher.
   */
  public boolean publish(Torrent torrent) {
    try {
      return deadline().publish(PublishRequest.newBuilder().setManifest(torrent.manifest())
          .setProof(key.publishProof(torrent.infoHash(), clock.instant())).build())
          .getCreated();
    } catch (StatusRuntimeException e) {
      throw translate(e, "publish " + torrent.name());
    }
  }

  /** Fetches a manifest by infohash and checks that it hashes to it. */
  public Torrent manifest(InfoHash infoHash) {
    try {
      Manifest manifest = deadline().getManifest(
          GetManifestRequest.newBuilder().setInfohash(infoHash.hex()).build()).getManifest();
      return checked(manifest, infoHash);
    } catch (StatusRuntimeException e) {
      throw translate(e, "fetch the manifest of " + infoHash);
    }
  }

  /** Fetches the most recent manifest published under {@code name}. */
  public Torrent manifest(String name) {
    try {
      var response = deadline().getManifest(GetManifestRequest.newBuilder().setName(name).build());
      return checked(response.getManifest(), InfoHash.parse(response.getInfohash()));
    } catch (StatusRuntimeException e) {
      throw translate(e, "fetch the manifest named " + name);
    }
  }

  /**
   * The first {@code max} torrents of the tracker's catalog (or all, if fewer), in its order,
   * page by page, each page under its own deadline.
   */
  public List<TorrentSummary> catalog(int max) {
    List<TorrentSummary> torrents = new ArrayList<>();
    String token = "";
    try {
      do {
        ListTorrentsResponse page = deadline().listTorrents(ListTorrentsRequest.newBuilder()
            .setPageSize(Math.min(max - torrents.size(), 1000)).setPageToken(token).build());
        torrents.addAll(page.getTorrentsList());
        if (page.getNextPageToken().equals(token)) {
          break; // the same token again: the tracker would keep us here forever
        }
        token = page.getNextPageToken();
      } while (!token.isEmpty() && torrents.size() < max);
    } catch (StatusRuntimeException e) {
      throw translate(e, "list the catalog");
    }
    return torrents.size() > max ? torrents.subList(0, max) : torrents;
  }

  /**
   * Announces. Without a session token the announce opens a session, so it carries a proof of
   * the peer id; with one that the tracker no longer holds (it restarted, or expired this peer:
   * UNAUTHENTICATED) it is sent once more with a proof, which opens a new session.
   */
  public AnnounceResponse announce(AnnounceRequest request) {
    boolean opens = request.getSessionToken().isEmpty() && !request.hasProof();
    try {
      return deadline().announce(opens ? proven(request) : request);
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.UNAUTHENTICATED || opens
          || request.hasProof()) {
        throw translate(e, "announce");
      }
    }
    try {
      return deadline().announce(proven(request));
    } catch (StatusRuntimeException e) {
      throw translate(e, "announce");
    }
  }

  private AnnounceRequest proven(AnnounceRequest request) {
    return request.toBuilder().setProof(key.sessionProof(clock.instant())).build();
  }

  public HeartbeatResponse heartbeat(String peerId, String token) {
    try {
      return deadline().heartbeat(
          HeartbeatRequest.newBuilder().setPeerId(peerId).setSessionToken(token).build());
    } catch (StatusRuntimeException e) {
      throw translate(e, "heartbeat");
    }
  }

  /**
   * Opens the tracker's grpc.health.v1 Watch stream of its overall status. The stream stays open
   * for as long as the tracker runs, at no cost to either side while nothing changes, and ends
   * as soon as the tracker stops or the connection to it breaks: it tells a peer that the
   * tracker went away without asking it anything. No deadline, for that reason.
   *
   * @return cancels the stream; {@code watcher} hears nothing more after it
   */
  public Runnable watch(Watcher watcher) {
    var observer = new ClientResponseObserver<HealthCheckRequest, HealthCheckResponse>() {
      volatile ClientCallStreamObserver<HealthCheckRequest> call;
      volatile boolean cancelled;

      @Override
      public void beforeStart(ClientCallStreamObserver<HealthCheckRequest> requests) {
        call = requests;
      }

      @Override
      public void onNext(HealthCheckResponse response) {
        if (!cancelled) {
          watcher.serving(response.getStatus() == HealthCheckResponse.ServingStatus.SERVING);
        }
      }

      @Override
      public void onError(Throwable t) {
        Status status = Status.fromThrowable(t);
        if (status.getCode() == Status.Code.UNAVAILABLE) {
          reconnectNow.run();
        }
        if (!cancelled) {
          watcher.ended(status.getCode() == Status.Code.UNIMPLEMENTED);
        }
      }

      @Override
      public void onCompleted() {
        if (!cancelled) {
          watcher.ended(false);
        }
      }
    };
    health.watch(HealthCheckRequest.newBuilder().setService("").build(), observer);
    return () -> {
      observer.cancelled = true;
      observer.call.cancel("no longer watching the tracker", null);
    };
  }

  private static Torrent checked(Manifest manifest, InfoHash infoHash) {
    try {
      return Torrent.of(manifest, infoHash);
    } catch (MinibitException e) {
      throw new MinibitException(ErrorCode.DATA_LOSS,
          "the tracker returned a bad manifest for " + infoHash + ": " + e.getMessage());
    }
  }

  private TrackerServiceGrpc.TrackerServiceBlockingStub deadline() {
    return stub.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  /**
   * The error for a call that failed to {@code action}. A tracker that could not be reached is
   * also dialled again on the next call, without waiting out the channel's backoff.
   */
  private MinibitException translate(StatusRuntimeException e, String action) {
    Status status = e.getStatus();
    if (status.getCode() == Status.Code.UNAVAILABLE
        || status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
      reconnectNow.run();
    }
    return error(status, action, e);
  }

  private MinibitException error(Status status, String action, StatusRuntimeException e) {
    String detail = status.getDescription() == null ? status.getCode().toString()
        : status.getDescription();
    return switch (status.getCode()) {
      case UNAVAILABLE, DEADLINE_EXCEEDED -> new MinibitException(ErrorCode.UNAVAILABLE,
          "cannot reach the tracker at " + target + " to " + action + " (" + detail + ")", e);
      case NOT_FOUND -> new MinibitException(ErrorCode.NOT_FOUND, detail, e);
      case INVALID_ARGUMENT -> new MinibitException(ErrorCode.INVALID_ARGUMENT, detail, e);
      case PERMISSION_DENIED -> new MinibitException(ErrorCode.PERMISSION_DENIED, detail, e);
      case UNAUTHENTICATED -> new MinibitException(ErrorCode.UNAUTHENTICATED,
          "the tracker at " + target + " refused to " + action + ": " + detail, e);
      default -> new MinibitException(ErrorCode.UNAVAILABLE,
          "the tracker at " + target + " failed to " + action + ": " + detail, e);
    };
  }
}
