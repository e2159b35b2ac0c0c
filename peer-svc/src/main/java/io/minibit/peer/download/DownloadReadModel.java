package io.minibit.peer.download;

import io.minibit.core.Bitfield;
import io.minibit.core.SwarmHealthCalculator;
import io.minibit.peer.session.PeerSnapshot;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The read model of one download, for status, metrics and the swarm view: why it is slow, each
 * source's figures, the swarm members it knows and the blocks on their way. Reads only.
 *
 * <p>Not thread-safe: its answers are computed on the scheduler's loop, where the state they read
 * lives ({@link Download} asks the loop).
 */
final class DownloadReadModel {
  private final Scheduler scheduler;
  private final int blockCount;

  DownloadReadModel(Scheduler scheduler, int blockCount) {
    this.scheduler = scheduler;
    this.blockCount = blockCount;
  }

  /** Why the download is not going at full speed, for people; empty if nothing is wrong. */
  String stallReason() {
    if (scheduler.isClosed() || scheduler.isComplete()) {
      return "";
    }
    Collection<RemotePeer> peers = scheduler.peers();
    if (peers.isEmpty()) {
      return "no peers in the swarm yet";
    }
    List<RemotePeer> active = peers.stream().filter(RemotePeer::isActive).toList();
    if (active.isEmpty()) {
      return "no peer reachable (" + peers.size() + " known)";
    }
    if (active.stream().allMatch(p -> p.chokesUs)) {
      return "every connected peer chokes us (" + active.size() + "); waiting for an unchoke";
    }
    if (active.stream().noneMatch(p -> p.has != null && scheduler.isInteresting(p.has))) {
      return "no connected peer has the " + scheduler.missing() + " missing blocks";
    }
    for (RemotePeer peer : active) {
      long late = InFlightBook.lateBlocks(peer);
      if (late > 0) {
        return "waiting on slow peer " + peer + " (" + late + " blocks late)";
      }
    }
    if (scheduler.isThrottled()) {
      return "held to the download limit (--download-limit)";
    }
    return "";
  }

  /** Each source's figures (this peer, if an address turned out to be it, aside). */
  List<PeerSnapshot> sources() {
    return scheduler.peers().stream()
        .filter(p -> p.state != RemotePeer.State.SELF)
        .map(p -> p.stats(scheduler.blocksReceived()))
        .toList();
  }

  /**
   * The peers whose bitfields this download knows (the last one known, for a peer gone), as
   * members of the swarm; their download rates are unknown here (0).
   */
  List<SwarmHealthCalculator.Member> members() {
    List<SwarmHealthCalculator.Member> members = new ArrayList<>();
    for (RemotePeer peer : scheduler.peers()) {
      if (peer.has != null && peer.state != RemotePeer.State.SELF
          && peer.state != RemotePeer.State.BANNED) {
        members.add(new SwarmHealthCalculator.Member(peer.peerId, peer.has.copy(),
            peer.has.cardinality(), peer.has.isComplete(), 0));
      }
    }
    return members;
  }

  /** The blocks asked of some peer and not received yet. */
  Bitfield inFlight() {
    Bitfield inFlight = new Bitfield(blockCount);
    for (RemotePeer peer : scheduler.peers()) {
      for (RemotePeer.Call call : peer.calls) {
        call.outstanding.forEach(inFlight::set);
      }
    }
    return inFlight;
  }
}
