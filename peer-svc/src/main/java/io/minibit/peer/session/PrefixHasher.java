package io.minibit.peer.session;

import io.minibit.core.Torrent;
import io.minibit.core.store.BlockStore;
import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Extends a store's whole-file hash over its verified prefix as blocks arrive, so that the check
 * at the end has little left to read. Runs on the hashing executor, one run queued at most.
 *
 * <p>Thread-safe.
 */
final class PrefixHasher {
  // filed under the session, as the warning always was
  private static final Logger log = Logger.getLogger(TorrentSession.class.getName());

  private final Torrent torrent;
  private final BlockStore store;
  private final Executor executor;
  private final AtomicBoolean scheduled = new AtomicBoolean();

  PrefixHasher(Torrent torrent, BlockStore store, Executor executor) {
    this.torrent = torrent;
    this.store = store;
    this.executor = executor;
  }

  /** A block was verified and written: hash what the prefix now holds, unless a run waits. */
  void blockStored() {
    if (scheduled.compareAndSet(false, true)) {
      executor.execute(() -> {
        scheduled.set(false);
        try {
          store.hashVerifiedPrefix();
        } catch (IOException e) {
          log.log(Level.WARNING, "cannot hash " + torrent + " as it downloads", e);
        }
      });
    }
  }
}
