package io.minibit.peer.download;

import io.minibit.core.Bitfield;
import io.minibit.core.Torrent;
import io.minibit.peer.policy.RarestFirstPicker;
import java.time.Duration;
import java.util.logging.Logger;

/**
 * The connections of a download's peers, from the first ping to the end: connects, resets a peer
 * that failed (its blocks go back) and retries it with exponential backoff and jitter, forgets one
 * that failed {@link #FORGET_AFTER_FAILURES} times in a row, bans one that broke the protocol or
 * sent corrupt blocks, drops an address that turns out to be this peer, and closes them all.
 *
 * <p>Not thread-safe: only its scheduler's loop touches it (reconnections are posted to it).
 */
final class PeerLifecycle {
  private static final Logger log = Logger.getLogger(PeerLifecycle.class.getName());

  /** Pings at connection; the first one also sets the connection up, so it is not counted. */
  static final int PINGS_AT_CONNECT = 4;
  /** Failed connections in a row after which a peer is forgotten. */
  static final int FORGET_AFTER_FAILURES = 8;

  private final Torrent torrent;
  private final PeerRoster roster;
  private final InFlightBook book;
  private final RarestFirstPicker picker;
  private final Refills refills;
  private final LoopTimer timer;
  private final SerialExecutor loop;
  private final DownloadOutcome outcome;
  private boolean closed;

  PeerLifecycle(Torrent torrent, PeerRoster roster, InFlightBook book, RarestFirstPicker picker,
      Refills refills, LoopTimer timer, SerialExecutor loop, DownloadOutcome outcome) {
    this.torrent = torrent;
    this.roster = roster;
    this.book = book;
    this.picker = picker;
    this.refills = refills;
    this.timer = timer;
    this.loop = loop;
    this.outcome = outcome;
  }

  boolean isClosed() {
    return closed;
  }

  /** Opens a connection of a new generation: pings first. */
  void connect(RemotePeer peer) {
    if (closed || peer.state == RemotePeer.State.BANNED) {
      return;
    }
    peer.state = RemotePeer.State.CONNECTING;
    peer.link.connect(++peer.generation, PINGS_AT_CONNECT);
  }

  /** The peer answered with this peer's own id: it is no source. */
  void isSelf(RemotePeer peer) {
    peer.state = RemotePeer.State.SELF;
    peer.link.disconnect("this is us");
    outcome.dropped(peer.peerId);
  }

  /**
   * Drops the peer's connection, gives back its blocks and schedules a reconnection; forgets a
   * peer that failed {@link #FORGET_AFTER_FAILURES} times in a row.
   */
  void fail(RemotePeer peer, String reason) {
    if (!reset(peer)) {
      return;
    }
    peer.lastError = reason;
    if (++peer.failuresInARow >= FORGET_AFTER_FAILURES) {
      forget(peer);
      return;
    }
    peer.state = RemotePeer.State.BACKING_OFF;
    Duration delay = peer.backoff.nextDelay();
    log.info(() -> String.format("%s: peer %s %s; retrying in %d ms", torrent, peer, reason,
        delay.toMillis()));
    timer.after(delay, () -> loop.execute(() -> connect(peer)));
  }

  /**
   * Drops a peer that keeps failing, and closes its link: it no longer takes a place among the
   * peers, and the tracker or another peer may hand it to us again, as a new one.
   */
  private void forget(RemotePeer peer) {
    roster.remove(peer);
    peer.state = RemotePeer.State.CLOSED;
    peer.link.close();
    refills.reallocate();
    outcome.dropped(peer.peerId);
    log.info(() -> String.format("%s: forgetting peer %s after %d failures in a row (%s)",
        torrent, peer, peer.failuresInARow, peer.lastError));
  }

  /** No second chance for the peer: it broke the protocol, or sent too many corrupt blocks. */
  void ban(RemotePeer peer, String reason) {
    reset(peer);
    peer.lastError = reason;
    peer.state = RemotePeer.State.BANNED;
    outcome.dropped(peer.peerId);
    log.warning(() -> torrent + ": banned peer " + peer + ": " + reason);
  }

  /** Cancels the peer's streams and releases its blocks; false if it was already down. */
  private boolean reset(RemotePeer peer) {
    if (closed || peer.state == RemotePeer.State.BANNED || peer.state == RemotePeer.State.CLOSED
        || peer.state == RemotePeer.State.BACKING_OFF) {
      return false;
    }
    peer.generation++;
    peer.subscribed = false;
    peer.link.disconnect("peer reset");
    book.releaseAll(peer);
    peer.chokesUs = true;
    peer.requested = new Bitfield(torrent.blockCount());
    if (peer.has != null) {
      picker.removeAvailability(peer.has);
      peer.has = null;
    }
    refills.everyone();
    refills.reallocate();
    return true;
  }

  /** Drops every peer connection for good; the peers' figures stay for display. */
  void close() {
    if (closed) {
      return;
    }
    for (RemotePeer peer : roster.all()) {
      Bitfield lastKnown = peer.has;
      reset(peer);
      peer.has = lastKnown;
      if (peer.state != RemotePeer.State.BANNED && peer.state != RemotePeer.State.SELF) {
        peer.state = RemotePeer.State.CLOSED;
      }
      peer.link.close();
    }
    closed = true;
  }
}
