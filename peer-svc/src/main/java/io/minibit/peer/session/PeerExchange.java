package io.minibit.peer.session;

import io.minibit.core.MinibitException;
import io.minibit.core.Validation;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Peer exchange for one torrent: the peers this peer can dial (the tracker handed them out, or
 * another peer named them), and what each subscriber has been told of them.
 *
 * <p>Everything is bounded, so a hostile peer cannot make it grow: at most {@link #MAX_KNOWN}
 * peers are kept (the oldest learned goes first); a list received is read up to {@link
 * #MAX_PER_MESSAGE} entries, and one source is heard at most once per {@link #MIN_RECEIVE_GAP}.
 * An entry with a malformed peer id, host or port, or this peer's own id, is dropped. A peer id
 * already known keeps its address, unless the tracker hands it out at another one.
 *
 * <p>A subscriber gets, from {@link #due}, first the newest {@link #MAX_PER_MESSAGE} peers known,
 * then the peers learned since, at most once per {@link #MIN_INTERVAL} and nothing when there
 * are none; never itself, nor a peer it named to us.
 *
 * <p>Thread-safe: every method holds the instance's lock. Pure bookkeeping: no I/O, time from
 * the clock given.
 */
public final class PeerExchange {
  /** Most peers one list carries, and most entries of a received list that are read. */
  public static final int MAX_PER_MESSAGE = 50;
  /** Most peers kept per torrent. */
  public static final int MAX_KNOWN = 200;
  /** Shortest time between two lists to one subscriber. */
  public static final Duration MIN_INTERVAL = Duration.ofSeconds(3);
  /** Shortest time between two lists heard from one source; a list sooner is ignored. */
  public static final Duration MIN_RECEIVE_GAP = Duration.ofSeconds(1);
  /** Most sources whose last list is remembered (for {@link #MIN_RECEIVE_GAP}). */
  static final int MAX_SOURCES = 256;

  /** A peer as it is dialed. */
  public record Endpoint(String peerId, String host, int port, boolean complete) {}

  /** A known peer: who named it ("" for the tracker) and when, in learning order. */
  private record Known(Endpoint endpoint, String source, long seq) {}

  /** What one subscription has been told. Guarded by the exchange's lock. */
  public static final class Cursor {
    private final String peerId;
    private boolean started;
    private long sentUpTo = -1;
    private Instant lastSent;

    private Cursor(String peerId) {
      this.peerId = peerId;
    }
  }

  private final String localPeerId;
  private final Clock clock;
  private final LongConsumer learnedCounter;
  private final LinkedHashMap<String, Known> known = new LinkedHashMap<>();
  private final LinkedHashMap<String, Instant> heardFrom = new LinkedHashMap<>();
  private long nextSeq;
  private long learned;

  /**
   * @param localPeerId this peer's id: never kept, never dialed
   * @param learnedCounter told how many peers each list from another peer taught us (a metric)
   */
  public PeerExchange(String localPeerId, Clock clock, LongConsumer learnedCounter) {
    this.localPeerId = localPeerId;
    this.clock = clock;
    this.learnedCounter = learnedCounter;
  }

  /** The tracker handed these peers out; returns those new here (valid, not this peer). */
  public synchronized List<Endpoint> fromTracker(Collection<Endpoint> peers) {
    return add("", peers, MAX_KNOWN);
  }

  /**
   * Peer {@code source} named these peers in a list. Returns those new here, to be dialed:
   * nothing if the list came sooner than {@link #MIN_RECEIVE_GAP} after its last one.
   */
  public synchronized List<Endpoint> fromPeer(String source, Collection<Endpoint> peers) {
    Instant now = clock.instant();
    Instant last = heardFrom.get(source);
    if (last != null && Duration.between(last, now).compareTo(MIN_RECEIVE_GAP) < 0) {
      return List.of();
    }
    heardFrom.remove(source);
    heardFrom.put(source, now);
    if (heardFrom.size() > MAX_SOURCES) {
      Iterator<String> oldest = heardFrom.keySet().iterator();
      oldest.next();
      oldest.remove();
    }
    List<Endpoint> fresh = add(source, peers, MAX_PER_MESSAGE);
    learned += fresh.size();
    if (!fresh.isEmpty()) {
      learnedCounter.accept(fresh.size());
    }
    return fresh;
  }

  /** Adds the first {@code max} of {@code peers} that are new and well formed; returns them. */
  private List<Endpoint> add(String source, Collection<Endpoint> peers, int max) {
    List<Endpoint> fresh = new ArrayList<>();
    int read = 0;
    for (Endpoint peer : peers) {
      if (read++ >= max) {
        break;
      }
      if (!isValid(peer) || peer.peerId().equals(localPeerId)) {
        continue;
      }
      Known had = known.get(peer.peerId());
      if (had != null) {
        if (!source.isEmpty() || (had.endpoint().host().equals(peer.host())
            && had.endpoint().port() == peer.port())) {
          continue;
        }
        known.remove(peer.peerId()); // moved, says the tracker: learned anew
      }
      if (known.size() >= MAX_KNOWN) {
        Iterator<String> oldest = known.keySet().iterator();
        oldest.next();
        oldest.remove();
      }
      known.put(peer.peerId(), new Known(peer, source, nextSeq++));
      fresh.add(peer);
    }
    return fresh;
  }

  /**
   * Forgets {@code peerId} (unreachable, banned, or this peer under another id): it is named to
   * nobody from now on, unless it is learned again.
   */
  public synchronized void forget(String peerId) {
    known.remove(peerId);
  }

  /** Whether {@code peer}'s id, host and port are well formed. */
  static boolean isValid(Endpoint peer) {
    try {
      Validation.requirePeerId("peer_id", peer.peerId());
      Validation.requireHost("host", peer.host());
      Validation.requirePort("port", peer.port());
      return true;
    } catch (MinibitException e) {
      return false;
    }
  }

  /** A subscription of peer {@code peerId} began: nothing has been told to it yet. */
  public Cursor subscribed(String peerId) {
    return new Cursor(peerId);
  }

  /**
   * What to send the subscription of {@code cursor} now, taken as sent: at most {@link
   * #MAX_PER_MESSAGE} peers, or nothing (too soon since the last list, or nothing new).
   */
  public synchronized List<Endpoint> due(Cursor cursor) {
    Instant now = clock.instant();
    if (cursor.lastSent != null
        && Duration.between(cursor.lastSent, now).compareTo(MIN_INTERVAL) < 0) {
      return List.of();
    }
    List<Endpoint> batch = new ArrayList<>();
    if (!cursor.started) {
      cursor.started = true;
      List<Known> all = new ArrayList<>(known.values());
      for (int i = all.size() - 1; i >= 0 && batch.size() < MAX_PER_MESSAGE; i--) {
        if (isFor(all.get(i), cursor)) {
          batch.add(all.get(i).endpoint());
        }
      }
      Collections.reverse(batch);
      cursor.sentUpTo = nextSeq - 1;
    } else {
      for (Known peer : known.values()) {
        if (peer.seq() <= cursor.sentUpTo) {
          continue;
        }
        if (batch.size() == MAX_PER_MESSAGE) {
          break;
        }
        if (isFor(peer, cursor)) {
          batch.add(peer.endpoint());
        }
        cursor.sentUpTo = peer.seq();
      }
    }
    if (!batch.isEmpty()) {
      cursor.lastSent = now;
    }
    return batch;
  }

  /** Not the subscriber itself, nor a peer it named to us. */
  private static boolean isFor(Known peer, Cursor cursor) {
    return !peer.endpoint().peerId().equals(cursor.peerId) && !peer.source().equals(cursor.peerId);
  }

  /** Peers learned from other peers' lists (not from the tracker) since the torrent began. */
  public synchronized long learned() {
    return learned;
  }

  /** The peers known now, oldest first. */
  public synchronized List<Endpoint> known() {
    return known.values().stream().map(Known::endpoint).toList();
  }

  /** How many peers are known. */
  public synchronized int size() {
    return known.size();
  }

  /** Sources whose last list is remembered; for tests of the bound. */
  synchronized int sources() {
    return heardFrom.size();
  }

  @Override
  public synchronized String toString() {
    return known.size() + " peers known, " + learned + " learned by exchange";
  }
}
