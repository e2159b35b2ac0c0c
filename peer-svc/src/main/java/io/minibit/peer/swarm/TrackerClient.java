package io.minibit.peer.swarm;

import io.grpc.Channel;
import io.grpc.ManagedChannel;
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
import io.minibit.core.Backoff;
import io.minibit.core.identity.PeerKey;
import io.minibit.peer.policy.TrackerRotation;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * The peer's view of its trackers. Each call has a deadline, UNAVAILABLE is retried by the
 * channel's service config, and failures come back as {@link MinibitException}s whose messages
 * name the tracker. With several trackers, every call goes to one of them, the current one (see
 * {@link TrackerRotation}): one that cannot be reached (UNAVAILABLE, DEADLINE_EXCEEDED) or says it
 * is not serving hands the call to the next, and the first that answers is used from then on;
 * a move is logged and told to the {@link #onSwitch} listeners. After a round in which none
 * answered, announces and heartbeats fail at once until the round's backoff is over (their owner
 * retries them later); a call someone waits for (publish, manifest, catalog) always makes a round.
 * Session tokens belong to one tracker each: the client keeps the last one each tracker gave and
 * sends a tracker its own. Publishes are signed with the peer's key. An announce that opens a
 * session (no token yet for that tracker, or one it no longer holds: UNAUTHENTICATED) carries a
 * proof of the peer id; the others carry the token alone.
 *
 * <p>Thread-safe.
 */
public final class TrackerClient {
  private static final Logger log = Logger.getLogger(TrackerClient.class.getName());
  private static final long DEADLINE_SECONDS = 5;
  /**
   * The wait after a round in which no tracker answered: 250 ms doubling up to 1 s. The
   * announcer paces its own retries; this only keeps a burst of calls from each making a round,
   * and must not keep a returned tracker waiting longer than a heartbeat or so.
   */
  private static final Duration ROUND_BACKOFF_INITIAL = Duration.ofMillis(250);
  private static final Duration ROUND_BACKOFF_MAX = Duration.ofSeconds(1);

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

  /**
   * One tracker.
   *
   * @param target how it was given ("host:port", a gRPC target): what messages name
   * @param channel the channel to it, owned by the caller
   * @param reconnectNow makes the channel dial the tracker on the next call instead of waiting
   *     out its reconnect backoff (which grows to minutes while a tracker is down); run after
   *     every failure to reach it, since the callers pace their own retries
   * @param key signs this peer's publishes and proves its peer id
   * @param clock the time proofs are signed at (the tracker accepts them within minutes of its
   *     own)
   */
  public record Endpoint(String target, Channel channel, Runnable reconnectNow) {
    /** {@code channel}'s reconnect backoff is reset if it is a ManagedChannel. */
    public static Endpoint of(String target, Channel channel) {
      return new Endpoint(target, channel, channel instanceof ManagedChannel managed
          ? managed::resetConnectBackoff : () -> { });
    }
  }

  /** The calls moved from the tracker at {@code from} to the one at {@code to}. */
  public record Switch(String from, String to) {}

  /** A watch stream opened by {@link #watch}: the tracker it watches, and how to cancel it. */
  public record Watching(String target, Runnable cancel) {}

  private record Tracker(String target, TrackerServiceGrpc.TrackerServiceBlockingStub stub,
      HealthGrpc.HealthStub health, Runnable reconnectNow) {}

  private final List<Tracker> trackers;
  /** Guarded by itself. */
  private final TrackerRotation rotation;
  private final List<Consumer<Switch>> listeners = new CopyOnWriteArrayList<>();
  /** Each tracker's session token for this peer, "" for none. Guarded by {@link #rotation}. */
  private final String[] tokens;
  private final PeerKey key;
  private final Clock clock;

  /**
   * A client of the one tracker at {@code target}; see {@link Endpoint} for the arguments.
   *
   * @param key signs publishes and the announces that open sessions
   * @param clock dates those signatures
   */
  public TrackerClient(Channel channel, String target, Runnable reconnectNow, PeerKey key,
      Clock clock) {
    this(List.of(new Endpoint(target, channel, reconnectNow)), key, clock, new Random());
  }

  /**
   * A client of {@code endpoints}, in order of preference.
   *
   * @param key signs publishes and the announces that open sessions
   * @param clock dates those signatures and, with {@code random}, times the backoff between
   *     failed rounds
   */
  public TrackerClient(List<Endpoint> endpoints, PeerKey key, Clock clock, Random random) {
    this.key = key;
    this.clock = clock;
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("no tracker");
    }
    this.trackers = endpoints.stream().map(e -> new Tracker(e.target(),
        TrackerServiceGrpc.newBlockingStub(e.channel()), HealthGrpc.newStub(e.channel()),
        e.reconnectNow())).toList();
    this.tokens = new String[trackers.size()];
    Arrays.fill(tokens, "");
    this.rotation = new TrackerRotation(trackers.size(),
        new Backoff(ROUND_BACKOFF_INITIAL, ROUND_BACKOFF_MAX, 2.0, random), clock);
  }

  /** The tracker calls go to now. */
  public String target() {
    synchronized (rotation) {
      return trackers.get(rotation.current()).target();
    }
  }

  /** The tracker that answered last (the first one before any has). */
  public String inUse() {
    synchronized (rotation) {
      return trackers.get(Math.max(0, rotation.inUse())).target();
    }
  }

  /** Every tracker, in order of preference. */
  public List<String> targets() {
    return trackers.stream().map(Tracker::target).toList();
  }

  /** Tells {@code listener} (on the thread of the call that found out) of every move. */
  public void onSwitch(Consumer<Switch> listener) {
    listeners.add(listener);
  }

  /**
   * Publishes a manifest, signed; returns true if the tracker did not have it yet.
   * PERMISSION_DENIED if its name belongs to another publisher.
   */
  public boolean publish(Torrent torrent) {
    return call("publish " + torrent.name(), false, stub -> stub.publish(
        PublishRequest.newBuilder().setManifest(torrent.manifest())
            .setProof(key.publishProof(torrent.infoHash(), clock.instant())).build())
        .getCreated());
  }

  /** Fetches a manifest by infohash and checks that it hashes to it. */
  public Torrent manifest(InfoHash infoHash) {
    Manifest manifest = call("fetch the manifest of " + infoHash, false, stub -> stub.getManifest(
        GetManifestRequest.newBuilder().setInfohash(infoHash.hex()).build()).getManifest());
    return checked(manifest, infoHash);
  }

  /** Fetches the most recent manifest published under {@code name}. */
  public Torrent manifest(String name) {
    var response = call("fetch the manifest named " + name, false, stub -> stub.getManifest(
        GetManifestRequest.newBuilder().setName(name).build()));
    return checked(response.getManifest(), InfoHash.parse(response.getInfohash()));
  }

  /**
   * The first {@code max} torrents of the tracker's catalog (or all, if fewer), in its order,
   * page by page, each page under its own deadline, every page from the same tracker.
   */
  public List<TorrentSummary> catalog(int max) {
    List<TorrentSummary> torrents = call("list the catalog", false, stub -> {
      List<TorrentSummary> pages = new ArrayList<>();
      String token = "";
      do {
        ListTorrentsResponse page = stub.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
            .listTorrents(ListTorrentsRequest.newBuilder()
                .setPageSize(Math.min(max - pages.size(), 1000)).setPageToken(token).build());
        pages.addAll(page.getTorrentsList());
        if (page.getNextPageToken().equals(token)) {
          break; // the same token again: the tracker would keep us here forever
        }
        token = page.getNextPageToken();
      } while (!token.isEmpty() && pages.size() < max);
      return pages;
    });
    return torrents.size() > max ? torrents.subList(0, max) : torrents;
  }

  /**
   * Announces {@code request} with the session token of the tracker it goes to (whatever token
   * it holds), and keeps the token that tracker answers with. Without a token for that tracker
   * the announce opens a session, so it carries a proof of the peer id; with one the tracker no
   * longer holds (UNAUTHENTICATED) it is sent once more with a proof.
   */
  public AnnounceResponse announce(AnnounceRequest request) {
    return call("announce", true, (index, stub) -> {
      String token = token(index);
      AnnounceRequest withToken = request.toBuilder().setSessionToken(token).build();
      try {
        AnnounceResponse response;
        try {
          response = stub.announce(token.isEmpty() ? proven(withToken) : withToken);
        } catch (StatusRuntimeException e) {
          if (e.getStatus().getCode() != Status.Code.UNAUTHENTICATED || token.isEmpty()) {
            throw e;
          }
          response = stub.announce(proven(withToken));
        }
        setToken(index, response.getSessionToken());
        return response;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.PERMISSION_DENIED) {
          setToken(index, "");
        }
        throw e;
      }
    });
  }

  private AnnounceRequest proven(AnnounceRequest request) {
    return request.toBuilder().setProof(key.sessionProof(clock.instant())).build();
  }

  /**
   * Refreshes this peer's session on the tracker it goes to, with that tracker's token. NOT_FOUND
   * or PERMISSION_DENIED: that tracker has no session of ours (announce again).
   */
  public HeartbeatResponse heartbeat(String peerId) {
    return call("heartbeat", true, (index, stub) -> {
      try {
        return stub.heartbeat(HeartbeatRequest.newBuilder().setPeerId(peerId)
            .setSessionToken(token(index)).build());
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.NOT_FOUND
            || e.getStatus().getCode() == Status.Code.PERMISSION_DENIED) {
          setToken(index, "");
        }
        throw e;
      }
    });
  }

  private String token(int index) {
    synchronized (rotation) {
      return tokens[index];
    }
  }

  private void setToken(int index, String token) {
    synchronized (rotation) {
      tokens[index] = token;
    }
  }

  /**
   * The tracker at {@code target} went away or is not serving (its health stream said so): calls
   * go to the next one from now on.
   */
  public void lost(String target) {
    int index = indexOf(target);
    if (index >= 0) {
      synchronized (rotation) {
        rotation.failed(index);
      }
    }
  }

  /** The tracker at {@code target} serves (its health stream said so): it is an answer. */
  public void serving(String target) {
    int index = indexOf(target);
    if (index >= 0) {
      answered(index);
    }
  }

  private int indexOf(String target) {
    for (int i = 0; i < trackers.size(); i++) {
      if (trackers.get(i).target().equals(target)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Runs {@code rpc} on one tracker after another, from the current one, until one answers.
   *
   * @param paced whether to fail at once while the backoff after a failed round lasts
   */
  private <T> T call(String action, boolean paced,
      Function<TrackerServiceGrpc.TrackerServiceBlockingStub, T> rpc) {
    return call(action, paced, (index, stub) -> rpc.apply(stub));
  }

  /** As above; {@code rpc} is also told which tracker it calls. */
  private <T> T call(String action, boolean paced,
      BiFunction<Integer, TrackerServiceGrpc.TrackerServiceBlockingStub, T> rpc) {
    List<Integer> order;
    synchronized (rotation) {
      order = rotation.order();
      if (order.isEmpty() && paced) {
        long wait = rotation.waitBeforeRound().toMillis();
        throw new MinibitException(ErrorCode.UNAVAILABLE, String.format(
            "cannot reach %s to %s: no tracker answered just now; trying again in %d ms",
            trackers.size() == 1 ? "the tracker at " + trackers.get(0).target() : "any tracker ("
                + String.join(", ", targets()) + ")", action, wait));
      }
      if (order.isEmpty()) {
        order = new ArrayList<>();
        for (int i = 0; i < trackers.size(); i++) {
          order.add((rotation.current() + i) % trackers.size());
        }
      }
    }
    List<String> failures = new ArrayList<>();
    StatusRuntimeException last = null;
    for (int index : order) {
      Tracker tracker = trackers.get(index);
      try {
        T result = rpc.apply(index,
            tracker.stub().withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS));
        answered(index);
        return result;
      } catch (StatusRuntimeException e) {
        Status status = e.getStatus();
        if (status.getCode() != Status.Code.UNAVAILABLE
            && status.getCode() != Status.Code.DEADLINE_EXCEEDED) {
          answered(index);
          throw error(status, tracker.target(), action, e);
        }
        // dialled again on the next call, without waiting out the channel's backoff
        tracker.reconnectNow().run();
        synchronized (rotation) {
          rotation.failed(index);
        }
        failures.add(tracker.target() + ": " + detail(status));
        last = e;
      }
    }
    if (trackers.size() == 1) {
      throw error(last.getStatus(), trackers.get(0).target(), action, last);
    }
    throw new MinibitException(ErrorCode.UNAVAILABLE, "cannot reach any tracker to " + action
        + " (" + String.join("; ", failures) + ")", last);
  }

  /** Tracker {@code index} answered: if calls moved to it, says so. */
  private void answered(int index) {
    Switch moved;
    synchronized (rotation) {
      int before = Math.max(0, rotation.inUse());
      if (!rotation.answered(index)) {
        return;
      }
      moved = new Switch(trackers.get(before).target(), trackers.get(index).target());
    }
    log.info(() -> "tracker " + moved.from() + " unreachable, now using " + moved.to());
    listeners.forEach(listener -> listener.accept(moved));
  }

  /**
   * Opens the tracker's grpc.health.v1 Watch stream of its overall status. The stream stays open
   * for as long as the tracker runs, at no cost to either side while nothing changes, and ends
   * as soon as the tracker stops or the connection to it breaks: it tells a peer that the
   * tracker went away without asking it anything. No deadline, for that reason.
   *
   * <p>The stream is opened on the current tracker.
   *
   * @return the tracker watched, and what cancels the stream; {@code watcher} hears nothing more
   *     after it
   */
  public Watching watch(Watcher watcher) {
    Tracker tracker;
    synchronized (rotation) {
      tracker = trackers.get(rotation.current());
    }
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
          tracker.reconnectNow().run();
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
    tracker.health().watch(HealthCheckRequest.newBuilder().setService("").build(), observer);
    return new Watching(tracker.target(), () -> {
      observer.cancelled = true;
      observer.call.cancel("no longer watching the tracker", null);
    });
  }

  private static Torrent checked(Manifest manifest, InfoHash infoHash) {
    try {
      return Torrent.of(manifest, infoHash);
    } catch (MinibitException e) {
      throw new MinibitException(ErrorCode.DATA_LOSS,
          "the tracker returned a bad manifest for " + infoHash + ": " + e.getMessage());
    }
  }

  private static String detail(Status status) {
    return status.getDescription() == null ? status.getCode().toString()
        : status.getDescription();
  }

  private static MinibitException error(Status status, String target, String action,
      StatusRuntimeException e) {
    String detail = detail(status);
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
