package io.minibit.peer.session;

import io.minibit.core.Torrent;
import io.minibit.core.store.BlockStore;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Extends a store's whole-file digests over its verified prefix as blocks arrive, so that the
 * check at the end has little left to read. Each digest runs on the hashing executor on its
 * own, one run of each queued at most: on two threads, the SHA-256 and the MD5 keep up with a
 * download one core could not hash.
 *
 * <p>Thread-safe.
 */
final class PrefixHasher {
  // filed under the session, as the warning always was
  private static final Logger log = Logger.getLogger(TorrentSession.class.getName());

  private final Torrent torrent;
  private final BlockStore store;
  private final Executor executor;
  /** Per whole-file digest: a run of it is queued and has not begun. */
  private final AtomicBoolean[] scheduled;

  PrefixHasher(Torrent torrent, BlockStore store, Executor executor) {
    this.torrent = torrent;
    this.store = store;
    this.executor = executor;
    this.scheduled = new AtomicBoolean[BlockStore.wholeFileDigests()];
    Arrays.setAll(scheduled, digest -> new AtomicBoolean());
  }

  /**
   * A block was verified and written: each digest hashes what the prefix now holds, unless a run
   * of it waits.
   */
  void blockStored() {
    for (int digest = 0; digest < scheduled.length; digest++) {
      if (scheduled[digest].compareAndSet(false, true)) {
        int lane = digest;
        executor.execute(() -> {
          scheduled[lane].set(false);
          try {
            store.hashVerifiedPrefix(lane);
          } catch (IOException e) {
            log.log(Level.WARNING, "cannot hash " + torrent + " as it downloads", e);
          }
        });
      }
    }
  }
}
