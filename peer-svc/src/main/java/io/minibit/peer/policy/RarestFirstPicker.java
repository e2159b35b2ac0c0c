package io.minibit.peer.policy;

import io.minibit.core.Bitfield;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntPredicate;

/**
 * Decides which blocks to ask a peer for.
 *
 * <ol>
 *   <li>The first {@link #RANDOM_FIRST} blocks are picked at random, so that there is soon
 *       something to trade; after that, the rarest missing blocks the peer has that nobody is
 *       fetching yet, random among equally rare ones. While every peer we download from is a
 *       seed ({@link #preferFront}), those within {@link #FRONT_WINDOW_BYTES} of the first
 *       missing block go before the others: the whole-file SHA-256 and MD5 can only be computed
 *       in file order, and blocks that arrive near that order are hashed as they come, where
 *       blocks drawn from the whole file leave nearly all of it to hash after the last one (two
 *       seconds of a 1 GiB download from one seed that itself took two). Among seeds alone there
 *       is nobody to trade with, so the order costs nothing; with other downloaders among the
 *       peers, blocks are drawn from the whole file, so that each holds blocks the others lack.
 *   <li>Late blocks, once the peer has nothing fresh to give: a block another peer was asked
 *       for and is slow to deliver may be asked of this one too (never more than
 *       {@link #MAX_COPIES} requests at once).
 *   <li>Endgame: once every missing block is being fetched, a peer with nothing else to do may
 *       fetch a block another peer is already fetching; the first copy to arrive wins.
 * </ol>
 *
 * <p>Pure policy: no I/O, no threads. Not thread-safe; its owner guards it.
 */
public final class RarestFirstPicker {
  /** How many blocks are picked at random before rarest-first takes over. */
  public static final int RANDOM_FIRST = 4;
  /** Most requests out at once for one block (late and endgame duplicates included). */
  public static final int MAX_COPIES = 2;
  /**
   * While {@link #preferFront}, equally rare blocks this close to the first missing one are
   * picked before the others.
   */
  public static final long FRONT_WINDOW_BYTES = 32L * 1024 * 1024;
  /** The front window spans at least this many blocks, whatever their size. */
  public static final int MIN_FRONT_WINDOW_BLOCKS = 64;

  private final int blockCount;
  private final Bitfield have;
  private final Bitfield late;
  private final int[] availability;
  private final int[] requests;
  /** Scratch for {@link #pickRarest}: the candidates of one pick. */
  private final int[] candidates;
  private final Random random;
  private final int randomFirst;
  /** How many blocks from the first missing one the front window spans. */
  private final int frontWindow;
  private boolean preferFront;
  private int missing;
  private int everRequested;

  /** The picker of a download of blocks of {@code blockSize} bytes that holds {@code have}. */
  public static RarestFirstPicker forDownload(Bitfield have, Random random, int blockSize) {
    return new RarestFirstPicker(have, random, RANDOM_FIRST, frontWindowBlocks(blockSize));
  }

  /**
   * A picker that picks its first {@code randomFirst} blocks at random, and, while it is told to
   * {@link #preferFront}, equally rare blocks within {@code frontWindow} blocks of the first
   * missing one before the others.
   */
  public RarestFirstPicker(Bitfield have, Random random, int randomFirst, int frontWindow) {
    this.randomFirst = randomFirst;
    this.frontWindow = frontWindow;
    this.blockCount = have.size();
    this.have = have.copy();
    this.late = new Bitfield(blockCount);
    this.availability = new int[blockCount];
    this.requests = new int[blockCount];
    this.candidates = new int[blockCount];
    this.random = random;
    this.missing = blockCount - have.cardinality();
    this.everRequested = have.cardinality();
  }

  /** The front window of a download of blocks of {@code blockSize} bytes, in blocks. */
  public static int frontWindowBlocks(int blockSize) {
    return (int) Math.max(MIN_FRONT_WINDOW_BLOCKS, FRONT_WINDOW_BYTES / blockSize);
  }

  /**
   * Whether equally rare blocks near the front of the file go first: true while every peer the
   * download asks is a seed (see the class comment). False until told otherwise.
   */
  public void preferFront(boolean prefer) {
    preferFront = prefer;
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
   * Up to {@code max} blocks to request from a peer that has {@code peerHas}, is already asked
   * for {@code alreadyRequested} (skipped), and may serve only the blocks {@code allowed}
   * accepts. The blocks returned count as requested until {@link #received} or {@link #release}.
   */
  public List<Integer> pick(Bitfield peerHas, int max, Bitfield alreadyRequested,
      IntPredicate allowed) {
    List<Integer> picked = new ArrayList<>(max);
    // Only the first few blocks of the whole download are random, not the whole first call.
    int randomly = Math.min(max, Math.max(0, randomFirst - everRequested));
    take(picked, pickRarest(peerHas, randomly, alreadyRequested, allowed, 0, true));
    take(picked, pickRarest(peerHas, max - picked.size(), alreadyRequested, allowed, 0, false));
    // A second copy of a late block costs the sender's upload twice for one block: only a peer
    // with nothing fresh to give is asked for one (the tail of the download, a peer that holds
    // little), so a seeder's upload, often what the whole swarm waits on, stays on new blocks.
    take(picked, pickLate(peerHas, max - picked.size(), alreadyRequested, allowed));
    if (picked.isEmpty()) {
      take(picked, pickEndgame(peerHas, max, alreadyRequested, allowed));
    }
    return picked;
  }

  /** Counts {@code blocks} as requested and adds them to {@code picked}. */
  private void take(List<Integer> picked, List<Integer> blocks) {
    for (int index : blocks) {
      if (requests[index]++ == 0) {
        everRequested++;
      }
      picked.add(index);
    }
  }

  /** Like {@link #pick(Bitfield, int, Bitfield, IntPredicate)} with every block allowed. */
  public List<Integer> pick(Bitfield peerHas, int max, Bitfield alreadyRequested) {
    return pick(peerHas, max, alreadyRequested, index -> true);
  }

  private List<Integer> pickLate(Bitfield peerHas, int max, Bitfield skip, IntPredicate allowed) {
    List<Integer> picked = new ArrayList<>();
    for (int i = late.nextSetBit(0); i < blockCount && picked.size() < max;
        i = late.nextSetBit(i + 1)) {
      if (requests[i] < MAX_COPIES && !have.get(i) && peerHas.get(i) && !skip.get(i)
          && allowed.test(i)) {
        picked.add(i);
      }
    }
    return picked;
  }

  /**
   * The rarest candidates with exactly {@code requestCount} requests out: all candidates rarer
   * than a threshold, then a uniform sample of those at the threshold. With {@code randomly},
   * rarity is ignored: a uniform sample of all candidates.
   *
   * <p>One pass over the missing blocks gathers the candidates; the choice then works on them
   * alone. Simple loops matter here: this runs on every refill, and the compiler's work on a
   * method with several long loops shows in a daemon's CPU.
   */
  private List<Integer> pickRarest(Bitfield peerHas, int max, Bitfield skip, IntPredicate allowed,
      int requestCount, boolean randomly) {
    if (max <= 0) {
      return new ArrayList<>();
    }
    int count = gather(peerHas, skip, allowed, requestCount);
    if (randomly) {
      return sample(0, count, Math.min(max, count));
    }
    int maxRarity = 0;
    for (int c = 0; c < count; c++) {
      maxRarity = Math.max(maxRarity, availability[candidates[c]]);
    }
    int[] byRarity = new int[maxRarity + 1];
    for (int c = 0; c < count; c++) {
      byRarity[availability[candidates[c]]]++;
    }
    int threshold = 0;
    int rarer = 0;
    while (threshold <= maxRarity && rarer + byRarity[threshold] < max) {
      rarer += byRarity[threshold++];
    }
    // Rarer blocks first, in index order; then those at the threshold, moved to the front of
    // the tail (still in index order), to be sampled from: those in the front window first.
    List<Integer> picked = new ArrayList<>(max);
    int frontEnd = preferFront ? have.nextClearBit(0) + frontWindow : 0;
    int atThreshold = 0;
    int inFront = 0;
    for (int c = 0; c < count; c++) {
      int index = candidates[c];
      int rarity = availability[index];
      if (rarity < threshold) {
        picked.add(index);
      } else if (rarity == threshold) {
        candidates[atThreshold++] = index;
        if (index < frontEnd) {
          inFront++;
        }
      }
    }
    int wanted = Math.min(max - rarer, atThreshold);
    List<Integer> front = sample(0, inFront, Math.min(wanted, inFront));
    picked.addAll(front);
    picked.addAll(sample(inFront, atThreshold - inFront, wanted - front.size()));
    return picked;
  }

  /**
   * Puts the missing blocks {@code peerHas} holds, not in {@code skip}, {@code allowed}, with
   * exactly {@code requestCount} requests out, at the front of {@link #candidates}, in index
   * order. Returns how many there are.
   */
  private int gather(Bitfield peerHas, Bitfield skip, IntPredicate allowed, int requestCount) {
    int count = 0;
    for (int i = have.nextClearBit(0); i < blockCount; i = have.nextClearBit(i + 1)) {
      if (requests[i] == requestCount && peerHas.get(i) && !skip.get(i) && allowed.test(i)) {
        candidates[count++] = i;
      }
    }
    return count;
  }

  /**
   * A uniform sample of {@code size} of the {@code count} {@link #candidates} from {@code from}
   * on, in index order (a partial shuffle, then a sort of the few chosen).
   */
  private List<Integer> sample(int from, int count, int size) {
    for (int c = from; c < from + size; c++) {
      int other = c + random.nextInt(from + count - c);
      int chosen = candidates[other];
      candidates[other] = candidates[c];
      candidates[c] = chosen;
    }
    Arrays.sort(candidates, from, from + size);
    List<Integer> sample = new ArrayList<>(size);
    for (int c = from; c < from + size; c++) {
      sample.add(candidates[c]);
    }
    return sample;
  }

  private List<Integer> pickEndgame(Bitfield peerHas, int max, Bitfield skip,
      IntPredicate allowed) {
    int fewest = Integer.MAX_VALUE;
    for (int i = have.nextClearBit(0); i < blockCount; i = have.nextClearBit(i + 1)) {
      if (requests[i] == 0 && availability[i] > 0) {
        // Not the end yet: some peer holds a missing block nobody is asked for, and a second
        // copy of a block already on its way would take a sender's upload from that block.
        return List.of();
      }
      if (peerHas.get(i) && !skip.get(i) && allowed.test(i)) {
        fewest = Math.min(fewest, requests[i]);
      }
    }
    if (fewest >= MAX_COPIES) {
      return List.of();
    }
    return pickRarest(peerHas, max, skip, allowed, fewest, false);
  }

  /** The block's holder is slow: let another peer be asked for it as well. */
  public void markLate(int index) {
    if (!have.get(index)) {
      late.set(index);
    }
  }

  public boolean isLate(int index) {
    return late.get(index);
  }

  /** A block arrived and was verified: it is no longer missing. */
  public void received(int index) {
    if (!have.get(index)) {
      have.set(index);
      missing--;
    }
    late.clear(index);
    requests[index] = Math.max(0, requests[index] - 1);
  }

  /** A request for a block ended without the block (failure, cancellation, corrupt data). */
  public void release(int index) {
    requests[index] = Math.max(0, requests[index] - 1);
  }

  /** Requests out for block {@code index}. */
  public int requests(int index) {
    return requests[index];
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
