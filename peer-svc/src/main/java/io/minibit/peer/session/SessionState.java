package io.minibit.peer.session;

/** Where a torrent session is in its life: checking, downloading, then seeding; or failed. */
public enum SessionState {
  /** Checking the blocks already on disk. */
  CHECKING,
  DOWNLOADING,
  /** Every block is here and verified; the file is complete and served. */
  SEEDING,
  /** Stopped for good; the snapshot's error says why. */
  FAILED
}
