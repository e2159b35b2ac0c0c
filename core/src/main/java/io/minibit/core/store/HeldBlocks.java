package io.minibit.core.store;

import io.minibit.core.Bitfield;
import io.minibit.core.Torrent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;

/**
 * Which blocks of one torrent a {@link BlockStore} holds verified, and which its saved bitfield
 * claims that are not hashed yet. The saved bitfield is the file beside the part file: a block's
 * bit is written there once the block itself was verified and written, so it never claims a
 * block that is not on disk; a reopened download's claims are hashed before they are held.
 * Thread-safe: its state is guarded by this object's lock, which is not held during I/O on
 * the part file.
 */
final class HeldBlocks {
  private final Bitfield have;
  /** Blocks the saved bitfield claims and nothing has hashed yet. */
  private final Bitfield unchecked;
  private final FileChannel file; // null for a file opened complete

  private HeldBlocks(Bitfield have, Bitfield unchecked, FileChannel file) {
    this.have = have;
    this.unchecked = unchecked;
    this.file = file;
  }

  /** Every block held: a complete file, with no saved bitfield. */
  static HeldBlocks all(int blockCount) {
    return new HeldBlocks(Bitfield.full(blockCount), new Bitfield(blockCount), null);
  }

  /** None held yet; {@code claimed} by the saved bitfield in {@code file}, to be checked. */
  static HeldBlocks claimed(Bitfield claimed, FileChannel file) {
    return new HeldBlocks(new Bitfield(claimed.size()), claimed, file);
  }

  synchronized boolean has(int index) {
    return have.get(index);
  }

  synchronized Bitfield copy() {
    return have.copy();
  }

  synchronized int count() {
    return have.cardinality();
  }

  synchronized boolean isComplete() {
    return have.isComplete();
  }

  synchronized int uncheckedCount() {
    return unchecked.cardinality();
  }

  /**
   * Hashes every block the saved bitfield claims and holds those that match, one by one (each is
   * held as soon as it is hashed); the others are dropped from the saved bitfield. Returns the
   * blocks held. ClosedChannelException if {@code data} is closed meanwhile, leaving the saved
   * bitfield as it was. The lock is not held while a block is read.
   */
  int checkClaimed(Torrent torrent, FileChannel data) throws IOException {
    Bitfield claimed;
    synchronized (this) {
      claimed = unchecked.copy();
    }
    ByteBuffer buffer = ByteBuffer.allocate(torrent.blockSize());
    boolean dropped = false;
    for (int index : claimed.setBits().toArray()) {
      boolean good = PartFiles.readInto(data, torrent, index, buffer)
          && torrent.isValidBlock(index, buffer.array(), buffer.limit());
      if (!data.isOpen()) {
        throw new ClosedChannelException();
      }
      synchronized (this) {
        unchecked.clear(index);
        if (good) {
          have.set(index);
        }
      }
      dropped |= !good;
    }
    synchronized (this) {
      if (dropped) {
        PartFiles.saveBitfield(file, have);
      }
      return have.cardinality();
    }
  }

  /**
   * Marks a verified and written block held, in the saved bitfield too; false if it was held
   * already (a concurrent write of the same block won).
   */
  synchronized boolean add(int index) throws IOException {
    if (have.get(index)) {
      return false;
    }
    have.set(index);
    PartFiles.saveBit(file, have, index);
    return true;
  }

  /** Closes the saved bitfield's file (when the store closes, or its file is finished). */
  synchronized void close() throws IOException {
    if (file != null) {
      file.close();
    }
  }
}
