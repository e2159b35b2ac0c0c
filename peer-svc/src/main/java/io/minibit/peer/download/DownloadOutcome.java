package io.minibit.peer.download;

import java.io.IOException;

/**
 * What a {@link Scheduler} tells the download it works for. Called on the scheduler's loop only.
 */
interface DownloadOutcome {
  /** Block {@code index} was verified and written. */
  void stored(int index);

  /** Every block is here: the download is to be finished. Called once. */
  void complete();

  /** A block could not be written: the download cannot go on. */
  void writeFailed(IOException failure);

  /**
   * The peer {@code peerId} is no source: it kept failing and was forgotten, it was banned, or
   * its address turned out to be this peer's own. It is not one to name to others.
   */
  void dropped(String peerId);
}
