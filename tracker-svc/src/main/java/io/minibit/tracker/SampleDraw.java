package io.minibit.tracker;

import java.util.Arrays;
import java.util.Random;

/**
 * The uniformly random draw behind every announce's sample, whichever store holds the swarm:
 * {@code n} distinct places out of {@code size}, in O(n) whatever the size, touching nothing
 * (Floyd's algorithm). A caller that must be left out is skipped by shifting every place after
 * its own by one. Stateless.
 */
final class SampleDraw {
  private SampleDraw() {}

  /**
   * {@code min(wanted, others)} distinct places among {@code size} members, none of them {@code
   * skip} (the caller's place, or -1 if it is not a member), uniformly at random; every other
   * member when there are no more than wanted.
   */
  static int[] places(int size, int skip, int wanted, Random random) {
    int others = size - (skip >= 0 ? 1 : 0);
    int n = Math.min(wanted, others);
    int[] places = new int[n];
    if (n == others) { // everyone: no drawing needed
      for (int place = 0; place < n; place++) {
        places[place] = skip >= 0 && place >= skip ? place + 1 : place;
      }
      return places;
    }
    IntSet chosen = new IntSet(n);
    int i = 0;
    for (int j = others - n; j < others; j++) {
      int place = random.nextInt(j + 1);
      if (!chosen.add(place)) {
        place = j;
        chosen.add(place);
      }
      places[i++] = skip >= 0 && place >= skip ? place + 1 : place;
    }
    return places;
  }

  /** A set of small ints by open addressing, for one draw: no boxing. */
  private static final class IntSet {
    private final int[] slots;

    IntSet(int expected) {
      slots = new int[Integer.highestOneBit(Math.max(4, expected * 2)) << 1];
      Arrays.fill(slots, -1);
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
