package io.minibit.peer.download;

import io.minibit.core.Bitfield;
import io.minibit.core.ErrorCode;
import io.minibit.core.ErrorReason;
import io.minibit.core.MinibitException;
import io.minibit.core.SwarmHealthCalculator;
import io.minibit.core.Torrent;
import io.minibit.core.store.BlockStore;
import io.minibit.peer.policy.Allocation;
import io.minibit.peer.session.PeerExchange;
import io.minibit.peer.session.PeerSnapshot;
import io.minibit.peer.session.TorrentSession;
import io.minibit.peer.telemetry.DownloadTrace;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Fetches the missing blocks of one torrent from every peer that has them, at once: a
 * {@link Scheduler} deciding what to ask of whom, on a {@link SerialExecutor} of its own, and a
 * {@link GrpcPeerLink} per remote peer carrying the requests. Each peer is pinged (its RTT is the
 * median of a few pings, renewed as the download runs), then subscribed to; its blocks are
 * verified and written as they arrive, on the call's thread, and the session serves each one at
 * once.
 *
 * <p>This class wires the parts and answers questions about them (status, metrics, the swarm
 * view) from its {@link DownloadReadModel}, asked on the loop so the answers are consistent. The
 * peers the tracker hands out and those other peers name (peer exchange) are kept by the
 * session's {@link PeerExchange}, and the new ones become sources alike. Thread-safe.
 */
public final class Download implements AutoCloseable {
  private static final Logger log = Logger.getLogger(Download.class.getName());
  private static final Duration TICK = Duration.ofMillis(250);
  /** How long a question waits for the loop before it is answered with what is known. */
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);

  private final TorrentSession session;
  private final Torrent torrent;
  private final ScheduledExecutorService timer;
  private final SerialExecutor loop;
  private final Scheduler scheduler;
  private final DownloadReadModel view;
  private final Consumer<Path> verified;
  private ScheduledFuture<?> ticker; // set on the loop

  /**
   * @param pool where the download's loop runs: one of the event loops of the downloads'
   *     connections where there are (its blocks' events then wake no other thread), else a pool
   *     shared by every download
   * @param timer the daemon's timer: ticks and reconnections run there
   * @param finisher where the finishing step (the whole-file check, a sync of the whole file,
   *     the rename) runs: off the timer, which every download shares
   * @param trace the download's trace: the calls to each serving peer are a span of it
   * @param stats where the calls' outcomes are counted
   * @param limiter the daemon's download cap, shared by every download
   * @param verified given the file once it is whole, verified and named, before the session
   *     says it is complete
   */
  public Download(TorrentSession session, String localPeerId, PeerChannels channels,
      Executor pool, ScheduledExecutorService timer, Executor finisher, Clock clock,
      Random random, Allocation allocation, DownloadTrace trace, FetchStats stats,
      DownloadLimiter limiter, Consumer<Path> verified) {
    this.verified = verified;
    this.session = session;
    this.torrent = session.torrent();
    this.timer = timer;
    BlockStore store = session.store();
    Scheduler[] self = new Scheduler[1];
    this.loop = new SerialExecutor(pool, () -> self[0].flush());
    GrpcPeerLink.BlockSink sink = block -> {
      session.recordDownloaded(block.length());
      return store.write(block.index(), block.data());
    };
    PeerLink.Factory links = (address, events) -> new GrpcPeerLink(address,
        channels.acquire(address), () -> channels.release(address), torrent, localPeerId,
        store::bitfield, sink, trace, events, this::named);
    DownloadOutcome outcome = new DownloadOutcome() {
      @Override
      public void stored(int index) {
        session.onBlockStored(index);
      }

      @Override
      public void complete() {
        finisher.execute(Download.this::finish);
      }

      @Override
      public void writeFailed(IOException failure) {
        session.fail(writeFailure(torrent.name(), failure));
        scheduler.close();
      }

      @Override
      public void dropped(String peerId) {
        session.peerExchange().forget(peerId);
      }
    };
    this.scheduler = new Scheduler(torrent, store.bitfield(), localPeerId, links, loop,
        (delay, task) -> timer.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS), clock,
        random, allocation, outcome, stats, limiter);
    self[0] = scheduler;
    this.view = new DownloadReadModel(scheduler, torrent.blockCount());
  }

  /** Finishes at once if every block was already on disk; otherwise waits for peers. */
  public void start() {
    loop.execute(() -> {
      scheduler.start();
      if (!scheduler.isComplete() && !scheduler.isClosed()) {
        ticker = timer.scheduleWithFixedDelay(() -> loop.execute(scheduler::tick),
            TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
      }
    });
  }

  /**
   * Starts fetching from the peers the tracker handed out (new ones join; known ones are left as
   * they are), and keeps them for peer exchange.
   */
  public void addPeers(Collection<PeerExchange.Endpoint> endpoints) {
    session.heardFromTracker(endpoints);
    dial(endpoints);
  }

  /** Peer {@code source} named {@code peers}: the ones new to the exchange become sources. */
  private void named(String source, List<PeerExchange.Endpoint> peers) {
    List<PeerExchange.Endpoint> fresh = session.peerExchange().fromPeer(source, peers);
    if (fresh.isEmpty()) {
      return;
    }
    log.fine(() -> torrent + ": " + source + " named " + fresh.size() + " new peers");
    dial(fresh);
  }

  /** Hands {@code peers} to the scheduler, which connects to the ones new to it. */
  private void dial(Collection<PeerExchange.Endpoint> peers) {
    List<PeerAddress> found = new ArrayList<>(peers.size());
    for (PeerExchange.Endpoint peer : peers) {
      found.add(new PeerAddress(Endpoints.address(peer.host(), peer.port()), peer.peerId()));
    }
    loop.execute(() -> scheduler.addPeers(found));
  }

  /** Whether the peer with id {@code peerId} is one of this download's sources. */
  public boolean knows(String peerId) {
    return scheduler.knows(peerId);
  }

  /** What the peer with id {@code peerId} holds, as it last told us; null if not known. */
  public Bitfield bitfieldOf(String peerId) {
    Bitfield known = scheduler.bitfieldOf(peerId);
    return known == null ? null : known.copy();
  }

  /** Bytes per second received lately from the peer with id {@code peerId} (for choking). */
  public double receivedRate(String peerId) {
    return scheduler.receivedRate(peerId);
  }

  /**
   * How long no connected peer has been serving a block this download still needs, as the loop
   * found at its last tick (a quarter of a second ago at most).
   */
  public Duration stalledFor() {
    return scheduler.stalledFor();
  }

  /** Why the download is not going at full speed, for people; empty if nothing is wrong. */
  public String stallReason() {
    return ask(view::stallReason, "");
  }

  /** Each source's figures, for status and metrics. */
  public List<PeerSnapshot> sources() {
    return ask(view::sources, List.of());
  }

  /**
   * The peers whose bitfields this download knows (the last one known, for a peer gone), as
   * members of the swarm; their download rates are unknown here (0).
   */
  public List<SwarmHealthCalculator.Member> members() {
    return ask(view::members, List.of());
  }

  /** The blocks asked of some peer and not received yet. */
  public Bitfield inFlight() {
    return ask(view::inFlight, new Bitfield(torrent.blockCount()));
  }

  /**
   * Asks the loop {@code question} and waits for the answer; on the loop itself, answers at once.
   * A loop too busy to answer within {@link #ASK_TIMEOUT} gets {@code fallback}.
   */
  private <T> T ask(Supplier<T> question, T fallback) {
    if (loop.inLoop()) {
      return question.get();
    }
    CompletableFuture<T> answer = new CompletableFuture<>();
    loop.execute(() -> {
      try {
        answer.complete(question.get());
      } catch (RuntimeException e) {
        answer.completeExceptionally(e);
      }
    });
    try {
      return answer.get(ASK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      log.warning(() -> torrent + ": the download loop did not answer within " + ASK_TIMEOUT);
      return fallback;
    } catch (ExecutionException e) {
      throw new IllegalStateException("a question to the download loop failed", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fallback;
    }
  }

  /** Every block is here: stop fetching, check the whole file, give it its name, seed. */
  private void finish() {
    try {
      close();
      session.finishDownload(verified);
    } catch (RuntimeException e) {
      session.fail(new MinibitException(ErrorCode.INTERNAL,
          "cannot finish " + torrent.name() + ": " + e, e));
    }
  }

  /**
   * Why a block could not be written, for the user: a full disk is a limit they can lift (the
   * verified blocks stay, and {@code minibit get} resumes once space is freed).
   */
  static MinibitException writeFailure(String name, IOException e) {
    String message = String.valueOf(e.getMessage());
    if (message.contains("No space left on device") || message.contains("Disk quota exceeded")) {
      return new MinibitException(ErrorReason.DISK_FULL, Map.of(), "the disk is full: cannot "
          + "write " + name + "; free some space and run get again to resume", e);
    }
    return new MinibitException(ErrorCode.FAILED_PRECONDITION,
        "cannot write " + name + ": " + message, e);
  }

  /**
   * Stops fetching and drops every peer connection; the peers' figures stay for display. Returns
   * once the loop has done so (or after {@link #ASK_TIMEOUT}).
   */
  @Override
  public void close() {
    ask(() -> {
      if (ticker != null) {
        ticker.cancel(false);
      }
      scheduler.close();
      return null;
    }, null);
  }
}
