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
   * O(wanted) whatever the swarm's size ({@link SampleDraw}).
   */
  List<SwarmStore.Peer> sample(String caller, int wanted, Random random) {
    Integer callerPosition = positions.get(caller);
    int[] places = SampleDraw.places(members.size(), callerPosition == null ? -1 : callerPosition,
        wanted, random);
    List<SwarmStore.Peer> sample = new ArrayList<>(places.length);
    for (int place : places) {
      sample.add(members.get(place));
    }
    return sample;
  }
}
