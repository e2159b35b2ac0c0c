package io.minibit.peer.session;

import java.util.BitSet;

/**
 * Which blocks this peer has uploaded at least once. When every block has gone out, the swarm
 * holds a whole copy without this peer: a seeder's first full copy is the moment its upload
 * stops being the swarm's bottleneck. Thread-safe.
 */
final class UploadCoverage {
  private final int blockCount;
  private final BitSet uploaded; // guarded by this
  private int count; // guarded by this

  UploadCoverage(int blockCount) {
    this.blockCount = blockCount;
    this.uploaded = new BitSet(blockCount);
  }

  /** Block {@code index} went out once more; true if that made the first full copy. */
  synchronized boolean record(int index) {
    if (uploaded.get(index)) {
      return false;
    }
    uploaded.set(index);
    count++;
    return count == blockCount;
  }

  /** Blocks uploaded at least once. */
  synchronized int blocks() {
    return count;
  }
}
