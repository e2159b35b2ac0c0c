package io.minibit.peer.swarm;

import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.minibit.api.v2.AnnounceRequest;
import io.minibit.api.v2.AnnounceResponse;
import io.minibit.api.v2.GetManifestRequest;
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
import io.minibit.peer.swarm.TrackerCalls.Pace;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The peer's view of its trackers. Each call has a deadline, UNAVAILABLE is retried by the
 * channel's service config, and failures come back as {@link MinibitException}s whose messages
 * name the tracker. With several trackers, every call goes to one of them, the current one (see
 * {@link io.minibit.peer.policy.TrackerRotation}): one that cannot be reached (UNAVAILABLE,
 * DEADLINE_EXCEEDED) or says it is not serving hands the call to the next, and the first that
 * answers is used from then on; a move is logged and told to the {@link #onSwitch} listeners.
 * After a round in which none answered, announces and heartbeats fail at once until the round's
 * backoff is over (their owner retries them later); a call someone waits for (publish, manifest,
 * catalog) always makes a round, and a publish or a manifest fetch makes up to three. That
 * rotation is {@link TrackerCalls}'s job.
 *
 * <p>Session tokens belong to one tracker each: the client keeps the last one each tracker gave
 * and sends a tracker its own. Publishes are signed with the peer's key. An announce that opens
 * a session (no token yet for that tracker, or one it no longer holds: UNAUTHENTICATED) carries
 * a proof of the peer id; the others carry the token alone. That bookkeeping is {@link
 * SessionTokens}'s.
 *
 * <p>Thread-safe.
 */
public final class TrackerClient {
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

  private final TrackerCalls calls;
  private final SessionTokens tokens;
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
    this.calls = new TrackerCalls(endpoints, clock, random);
    this.tokens = new SessionTokens(calls.size(), key, clock);
  }

  /** The tracker calls go to now. */
  public String target() {
    return calls.current().target();
  }

  /** The tracker that answered last (the first one before any has). */
  public String inUse() {
    return calls.inUse();
  }

  /** Every tracker, in order of preference. */
  public List<String> targets() {
    return calls.targets();
  }

  /** Tells {@code listener} (on the thread of the call that found out) of every move. */
  public void onSwitch(Consumer<Switch> listener) {
    calls.onSwitch(listener);
  }

  /**
   * Publishes a manifest, signed; returns true if the tracker did not have it yet.
   * PERMISSION_DENIED if its name belongs to another publisher.
   */
  public boolean publish(Torrent torrent) {
    return call("publish " + torrent.name(), Pace.ROUNDS, stub -> stub.publish(
        PublishRequest.newBuilder().setManifest(torrent.manifest())
            .setProof(key.publishProof(torrent.infoHash(), clock.instant())).build())
        .getCreated());
  }

  /** Fetches a manifest by infohash and checks that it hashes to it. */
  public Torrent manifest(InfoHash infoHash) {
    Manifest manifest = call("fetch the manifest of " + infoHash, Pace.ROUNDS,
        stub -> stub.getManifest(GetManifestRequest.newBuilder().setInfohash(infoHash.hex())
            .build()).getManifest());
    return checked(manifest, infoHash);
  }

  /** Fetches the most recent manifest published under {@code name}. */
  public Torrent manifest(String name) {
    var response = call("fetch the manifest named " + name, Pace.ROUNDS, stub -> stub.getManifest(
        GetManifestRequest.newBuilder().setName(name).build()));
    return checked(response.getManifest(), InfoHash.parse(response.getInfohash()));
  }

  /**
   * The first {@code max} torrents of the tracker's catalog (or all, if fewer), in its order,
   * page by page, each page under its own deadline, every page from the same tracker.
   */
  public List<TorrentSummary> catalog(int max) {
    List<TorrentSummary> torrents = call("list the catalog", Pace.ONE_ROUND, stub -> {
      List<TorrentSummary> pages = new ArrayList<>();
      String token = "";
      do {
        ListTorrentsResponse page = stub
            .withDeadlineAfter(TrackerCalls.DEADLINE_SECONDS, TimeUnit.SECONDS)
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
    return calls.call("announce", Pace.PACED,
        (index, stub) -> tokens.announce(index, stub, request));
  }

  /**
   * Refreshes this peer's session on the tracker it goes to, with that tracker's token. NOT_FOUND
   * or PERMISSION_DENIED: that tracker has no session of ours (announce again).
   */
  public HeartbeatResponse heartbeat(String peerId) {
    return calls.call("heartbeat", Pace.PACED,
        (index, stub) -> tokens.heartbeat(index, stub, peerId));
  }

  /**
   * The tracker at {@code target} went away or is not serving (its health stream said so): calls
   * go to the next one from now on.
   */
  public void lost(String target) {
    calls.lost(target);
  }

  /** The tracker at {@code target} serves (its health stream said so): it is an answer. */
  public void serving(String target) {
    calls.serving(target);
  }

  /** Runs {@code rpc} on one tracker after another, from the current one, until one answers. */
  private <T> T call(String action, Pace pace,
      Function<TrackerServiceGrpc.TrackerServiceBlockingStub, T> rpc) {
    return calls.call(action, pace, (index, stub) -> rpc.apply(stub));
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
    TrackerCalls.Tracker tracker = calls.current();
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
}
