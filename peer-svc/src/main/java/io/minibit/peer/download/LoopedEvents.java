package io.minibit.peer.download;

import io.grpc.Status;
import io.minibit.core.Bitfield;
import io.minibit.core.ErrorReason;
import io.minibit.core.store.BlockStore;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A link's events for one peer, put on its scheduler's loop, where those of an older connection
 * of the peer are dropped (a block stored aside: it is on disk, so it counts) and none runs once
 * the scheduler is closed.
 *
 * <p>Thread-safe: a link may report from any thread; each event runs on the loop.
 */
final class LoopedEvents implements PeerLink.Events {
  private final SerialExecutor loop;
  private final RemotePeer peer;
  private final PeerLifecycle lifecycle;
  private final PeerAnnouncements announcements;
  private final Arrivals arrivals;
  private final DownloadOutcome outcome;

  LoopedEvents(SerialExecutor loop, RemotePeer peer, PeerLifecycle lifecycle,
      PeerAnnouncements announcements, Arrivals arrivals, DownloadOutcome outcome) {
    this.loop = loop;
    this.peer = peer;
    this.lifecycle = lifecycle;
    this.announcements = announcements;
    this.arrivals = arrivals;
    this.outcome = outcome;
  }

  private void post(int generation, Runnable event) {
    loop.execute(() -> {
      if (peer.generation == generation && !lifecycle.isClosed()) {
        event.run();
      }
    });
  }

  @Override
  public void answered(int generation, Duration rtt, String remotePeerId, boolean sample) {
    post(generation, () -> announcements.answered(peer, rtt, remotePeerId, sample));
  }

  @Override
  public void bitfield(int generation, Bitfield has) {
    post(generation, () -> announcements.bitfield(peer, has));
  }

  @Override
  public void have(int generation, int index) {
    post(generation, () -> announcements.have(peer, index));
  }

  @Override
  public void haves(int generation, List<Integer> indices) {
    post(generation, () -> announcements.haves(peer, indices));
  }

  @Override
  public void choked(int generation, boolean choked) {
    post(generation, () -> announcements.choked(peer, choked));
  }

  @Override
  public void written(int generation, RemotePeer.Call call, int index,
      BlockStore.WriteResult result, int bytes) {
    loop.execute(() -> {
      if (!lifecycle.isClosed()) {
        // Even from an older connection a stored block counts: it is on disk.
        if (peer.generation == generation) {
          arrivals.written(peer, call, index, result, bytes);
        } else if (result == BlockStore.WriteResult.STORED) {
          arrivals.storedAside(index);
        }
      }
    });
  }

  @Override
  public void ended(int generation, RemotePeer.Call call, Status status,
      Optional<ErrorReason> reason) {
    post(generation, () -> arrivals.ended(peer, call, status, reason));
  }

  @Override
  public void failed(int generation, String reason) {
    post(generation, () -> lifecycle.fail(peer, reason));
  }

  @Override
  public void violated(int generation, String reason) {
    // An event of the current connection: the ban resets the peer, which refills every other.
    post(generation, () -> lifecycle.ban(peer, reason));
  }

  @Override
  public void writeFailed(IOException failure) {
    loop.execute(() -> {
      if (!lifecycle.isClosed()) {
        outcome.writeFailed(failure);
      }
    });
  }
}
