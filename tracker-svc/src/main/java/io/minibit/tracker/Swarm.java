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
  private final List<SwarmRegistry.Peer> members = new ArrayList<>();
  private final Map<String, Integer> positions = new HashMap<>();
  private int seeders;

  /** Adds the peer, or replaces what its id last announced. */
  void put(SwarmRegistry.Peer peer) {
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
    SwarmRegistry.Peer last = members.remove(members.size() - 1);
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
  List<SwarmRegistry.Peer> members() {
    return List.copyOf(members);
  }

  /**
   * A uniformly random sample of up to {@code wanted} members other than {@code caller}: a
   * partial Fisher-Yates shuffle of the array itself, so it touches {@code wanted + 1} places
   * at most, whatever the swarm's size.
   */
  List<SwarmRegistry.Peer> sample(String caller, int wanted, Random random) {
    boolean callerIn = positions.containsKey(caller);
    int others = members.size() - (callerIn ? 1 : 0);
    int n = Math.min(wanted, others);
    // Draw one more when the caller may be among the draws: a uniform (n + 1)-subset, less the
    // caller or else its last draw (the draws come in random order), is a uniform n-subset of
    // the others.
    int draws = Math.min(members.size(), callerIn ? n + 1 : n);
    List<SwarmRegistry.Peer> sample = new ArrayList<>(draws);
    for (int i = 0; i < draws; i++) {
      swap(i, i + random.nextInt(members.size() - i));
      SwarmRegistry.Peer drawn = members.get(i);
      if (!drawn.peerId().equals(caller)) {
        sample.add(drawn);
      }
    }
    return List.copyOf(sample.size() > n ? sample.subList(0, n) : sample);
  }

  private void swap(int i, int j) {
    if (i == j) {
      return;
    }
    SwarmRegistry.Peer a = members.get(i);
    SwarmRegistry.Peer b = members.get(j);
    members.set(i, b);
    members.set(j, a);
    positions.put(b.peerId(), i);
    positions.put(a.peerId(), j);
  }
}
