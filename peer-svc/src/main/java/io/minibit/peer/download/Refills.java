package io.minibit.peer.download;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What the end of a burst of events is to redo: which peers to refill (work follows change, so
 * events only mark peers here), and whether the allocation's budgets are stale (rates and round
 * trips change slowly: budgets are recomputed at each tick and when the set of peers changes, not
 * at every refill).
 *
 * <p>Not thread-safe: only its scheduler's loop touches it.
 */
final class Refills {
  private final Set<RemotePeer> dirty = new LinkedHashSet<>();
  private boolean everyone;
  private boolean reallocate = true;

  /** {@code peer} is to be refilled at the end of the burst. */
  void peer(RemotePeer peer) {
    dirty.add(peer);
  }

  /** Every peer is to be refilled at the end of the burst (blocks came free, say). */
  void everyone() {
    everyone = true;
  }

  /** The peers or their figures changed: budgets are to be computed again before a refill. */
  void reallocate() {
    reallocate = true;
  }

  /** Whether some peer is to be refilled. */
  boolean pending() {
    return everyone || !dirty.isEmpty();
  }

  /** Forgets the peers marked one by one (a burst with nothing to do). */
  void dropPeers() {
    dirty.clear();
  }

  /** Whether budgets are to be computed again; the answer is given once. */
  boolean takeReallocate() {
    boolean stale = reallocate;
    reallocate = false;
    return stale;
  }

  /** The peers to refill now, out of {@code all}, in order; the marks are cleared. */
  List<RemotePeer> take(Collection<RemotePeer> all) {
    List<RemotePeer> toFill = new ArrayList<>(everyone ? all : dirty);
    dirty.clear();
    everyone = false;
    return toFill;
  }
}
