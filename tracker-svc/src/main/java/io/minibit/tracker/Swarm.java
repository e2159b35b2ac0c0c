package io.minibit.tracker;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The members of one torrent's swarm, kept so that what every announce asks costs the same in a
 * swarm of ten and of twenty thousand: joining, leaving and counting seeders are O(1), and a
 * sample of k members is O(k). Members sit in an array (a leaver's place goes to the last
 * member) indexed by peer id; the seeders are counted as members come, change and go.
 *
 * <p>Not thread-safe: the registry's lock guards it.
 */
final class Swarm {
  private final List<SwarmStore.Peer> members = new ArrayList<>();
  private final Map<String, Integer> positions = new HashMap<>();
  private int seeders;

  /** Adds the peer, or replaces what its id last announced. */
  void put(SwarmStore.Peer peer) {
    Integer position = positions.get(peer.peerId());
    if (position == null) {
      positions.put(peer.peerId(), members.size());
      members.add(peer);
    } else {
      if (members.get(position).complete()) {
        seeders--;
      }
      members.set(position, peer);
    }
    if (peer.complete()) {
      seeders++;
    }
  }

  /** Removes the peer with id {@code peerId}, if it is a member. */
  void remove(String peerId) {
    Integer position = positions.remove(peerId);
    if (position == null) {
      return;
    }
    if (members.get(position).complete()) {
      seeders--;
    }
    SwarmStore.Peer last = members.remove(members.size() - 1);
    if (position < members.size()) {
      members.set(position, last);
      positions.put(last.peerId(), position);
    }
  }

  boolean contains(String peerId) {
    return positions.containsKey(peerId);
  }

  int size() {
    return members.size();
  }

  boolean isEmpty() {
    return members.isEmpty();
  }

  int seeders() {
    return seeders;
  }

  int leechers() {
    return members.size() - seeders;
  }

  /** Every member, in no meaningful order. */
  List<SwarmStore.Peer> members() {
    return List.copyOf(members);
  }

  /**
   * A uniformly random sample of up to {@code wanted} members other than {@code caller}, in
   * O(wanted) whatever the swarm's size, touching nothing: Floyd's algorithm picks {@code
   * wanted} distinct places out of those of the other members (the caller's place is skipped
   * by shifting every place after it by one).
   */
  List<SwarmStore.Peer> sample(String caller, int wanted, Random random) {
    Integer callerPosition = positions.get(caller);
    int others = members.size() - (callerPosition == null ? 0 : 1);
    int n = Math.min(wanted, others);
    if (n == others) { // everyone: no drawing needed
      List<SwarmStore.Peer> all = new ArrayList<>(n);
      for (SwarmStore.Peer member : members) {
        if (!member.peerId().equals(caller)) {
          all.add(member);
        }
      }
      return all;
    }
    IntSet chosen = new IntSet(n);
    List<SwarmStore.Peer> sample = new ArrayList<>(n);
    for (int j = others - n; j < others; j++) {
      int place = random.nextInt(j + 1);
      if (!chosen.add(place)) {
        place = j;
        chosen.add(place);
      }
      int position = callerPosition != null && place >= callerPosition ? place + 1 : place;
      sample.add(members.get(position));
    }
    return sample;
  }

  /** A set of small ints by open addressing, for one sample: no boxing. */
  private static final class IntSet {
    private final int[] slots;

    IntSet(int expected) {
      slots = new int[Integer.highestOneBit(Math.max(4, expected * 2)) << 1];
      java.util.Arrays.fill(slots, -1);
    }

    /** Adds {@code value} (not negative); false if it was there. */
    boolean add(int value) {
      int mask = slots.length - 1;
      for (int i = (value * 0x9E3779B1) >>> 7 & mask; ; i = (i + 1) & mask) {
        if (slots[i] == value) {
          return false;
        }
        if (slots[i] < 0) {
          slots[i] = value;
          return true;
        }
      }
    }
  }
}
