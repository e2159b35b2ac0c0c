package io.minibit.peer.download;

import io.minibit.core.Bitfield;
import io.minibit.peer.policy.RarestFirstPicker;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * What a remote peer tells of itself: its answers to pings (which set the connection up, then
 * sample its round trip), its bitfield, its HAVEs and its chokes. They update what the download
 * knows of the peer and the picker's count of who holds which block, and mark the peer to refill.
 *
 * <p>Not thread-safe: only its scheduler's loop touches it.
 */
final class PeerAnnouncements {
  private final String localPeerId;
  private final int blockCount;
  private final RarestFirstPicker picker;
  private final PeerRoster roster;
  private final PeerLifecycle lifecycle;
  private final Refills refills;
  private final Clock clock;

  PeerAnnouncements(String localPeerId, int blockCount, RarestFirstPicker picker,
      PeerRoster roster, PeerLifecycle lifecycle, Refills refills, Clock clock) {
    this.localPeerId = localPeerId;
    this.blockCount = blockCount;
    this.picker = picker;
    this.roster = roster;
    this.lifecycle = lifecycle;
    this.refills = refills;
    this.clock = clock;
  }

  /** A ping answer: the first of a connection subscribes; one from this peer drops it. */
  void answered(RemotePeer peer, Duration rtt, String remotePeerId, boolean sample) {
    if (remotePeerId.equals(localPeerId)) {
      lifecycle.isSelf(peer);
      return;
    }
    if (sample) {
      peer.rtt.add(rtt);
    } else if (peer.state == RemotePeer.State.CONNECTING && !peer.subscribed) {
      peer.subscribed = true;
      peer.link.subscribe(peer.generation);
    }
    peer.lastPing = clock.instant();
  }

  /** The subscription opened: the connection works, and the peer holds {@code has}. */
  void bitfield(RemotePeer peer, Bitfield has) {
    if (peer.has != null) {
      picker.removeAvailability(peer.has);
    }
    peer.has = has;
    picker.addAvailability(has);
    peer.state = RemotePeer.State.ACTIVE;
    peer.failuresInARow = 0;
    peer.lastError = "";
    refills.reallocate();
    roster.publish(peer);
    refills.peer(peer);
  }

  /** The peer verified block {@code index}; one out of range breaks the protocol. */
  void have(RemotePeer peer, int index) {
    if (peer.has == null) {
      return;
    }
    if (index < 0 || index >= blockCount) {
      lifecycle.ban(peer, "announced block " + index + ", which is out of range");
      return;
    }
    if (!peer.has.get(index)) {
      peer.has.set(index);
      peer.hasChanged = true;
      picker.addAvailability(index);
      refills.peer(peer);
    }
  }

  /** The peer verified the blocks {@code indices}; one out of range breaks the protocol. */
  void haves(RemotePeer peer, List<Integer> indices) {
    int generation = peer.generation;
    for (int index : indices) {
      have(peer, index);
      if (peer.generation != generation) { // banned: the rest of the list is not read
        return;
      }
    }
  }

  void choked(RemotePeer peer, boolean choked) {
    peer.chokesUs = choked;
    if (!choked) {
      peer.unchokes++;
      refills.peer(peer);
    }
  }
}
