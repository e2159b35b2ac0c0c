package io.minibit.peer.download;

import io.minibit.core.Bitfield;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Decides which blocks to ask a peer for: the rarest missing blocks it has that nobody is
 * fetching yet, random among equally rare ones. Once every missing block is being fetched
 * (endgame), a peer with nothing else to do may fetch a block another peer is already slow on:
 * the first copy to arrive wins and the other is dropped.
 *
 * <p>Pure policy: no I/O, no threads. Not thread-safe; its owner guards it.
 */
public final class BlockPicker {
  private final int blockCount;
  private final Bitfield have;
  private final int[] availability;
  private final int[] requests;
  private final Random random;
  private int missing;

  public BlockPicker(Bitfield have, Random random) {
    this.blockCount = have.size();
    this.have = have.copy();
    this.availability = new int[blockCount];
    this.requests = new int[blockCount];
    this.random = random;
    this.missing = blockCount - have.cardinality();
  }

  /** A peer with these blocks joined. */
  public void addAvailability(Bitfield peerHas) {
    peerHas.setBits().forEach(i -> availability[i]++);
  }

  /** A peer with these blocks left. */
  public void removeAvailability(Bitfield peerHas) {
    peerHas.setBits().forEach(i -> availability[i] = Math.max(0, availability[i] - 1));
  }

  /** A peer announced one more block. */
  public void addAvailability(int index) {
    availability[index]++;
  }

  public int availability(int index) {
    return availability[index];
  }

  /**
   * Up to {@code max} blocks to request from a peer that has {@code peerHas} and is already
   * fetching {@code alreadyRequested} (which are skipped). The blocks returned are counted as
   * requested until {@link #received} or {@link #release}.
   */
  public List<Integer> pick(Bitfield peerHas, int max, Bitfield alreadyRequested) {
    List<Integer> picked = pickRarest(peerHas, max, alreadyRequested, 0);
    if (picked.isEmpty()) {
      picked = pickEndgame(peerHas, max, alreadyRequested);
    }
    for (int index : picked) {
      requests[index]++;
    }
    return picked;
  }

  /**
   * The rarest blocks among the candidates with exactly {@code requestCount} requests out: all
   * candidates rarer than a threshold, then a uniform sample of those at the threshold.
   */
  private List<Integer> pickRarest(Bitfield peerHas, int max, Bitfield skip, int requestCount) {
    int maxRarity = 0;
    for (int a : availability) {
      maxRarity = Math.max(maxRarity, a);
    }
    int[] candidatesByRarity = new int[maxRarity + 1];
    for (int i = 0; i < blockCount; i++) {
      if (isCandidate(i, peerHas, skip, requestCount)) {
        candidatesByRarity[availability[i]]++;
      }
    }
    int threshold = 0;
    int rarer = 0;
    while (threshold <= maxRarity && rarer + candidatesByRarity[threshold] < max) {
      rarer += candidatesByRarity[threshold++];
    }
    List<Integer> picked = new ArrayList<>(max);
    List<Integer> sample = new ArrayList<>(max - rarer);
    int seenAtThreshold = 0;
    for (int i = 0; i < blockCount; i++) {
      if (!isCandidate(i, peerHas, skip, requestCount)) {
        continue;
      }
      if (availability[i] < threshold) {
        picked.add(i);
      } else if (availability[i] == threshold) {
        seenAtThreshold++;
        if (sample.size() < max - rarer) {
          sample.add(i);
        } else {
          int slot = random.nextInt(seenAtThreshold);
          if (slot < sample.size()) {
            sample.set(slot, i);
          }
        }
      }
    }
    picked.addAll(sample);
    return picked;
  }

  private boolean isCandidate(int i, Bitfield peerHas, Bitfield skip, int requestCount) {
    return requests[i] == requestCount && !have.get(i) && peerHas.get(i) && !skip.get(i);
  }

  private List<Integer> pickEndgame(Bitfield peerHas, int max, Bitfield alreadyRequested) {
    int fewest = Integer.MAX_VALUE;
    for (int i = 0; i < blockCount; i++) {
      if (!have.get(i) && peerHas.get(i) && !alreadyRequested.get(i)) {
        fewest = Math.min(fewest, requests[i]);
      }
    }
    if (fewest == Integer.MAX_VALUE) {
      return List.of();
    }
    return pickRarest(peerHas, max, alreadyRequested, fewest);
  }

  /** A block arrived and was verified: it is no longer missing. */
  public void received(int index) {
    if (!have.get(index)) {
      have.set(index);
      missing--;
    }
    requests[index] = Math.max(0, requests[index] - 1);
  }

  /** A request for a block ended without the block (failure, timeout, corrupt data). */
  public void release(int index) {
    requests[index] = Math.max(0, requests[index] - 1);
  }

  public boolean has(int index) {
    return have.get(index);
  }

  public int missing() {
    return missing;
  }

  public boolean isComplete() {
    return missing == 0;
  }

  /** True if {@code peerHas} holds a block still missing here. */
  public boolean isInteresting(Bitfield peerHas) {
    for (int i = have.nextClearBit(0); i < blockCount; i = have.nextClearBit(i + 1)) {
      if (peerHas.get(i)) {
        return true;
      }
    }
    return false;
  }
}
