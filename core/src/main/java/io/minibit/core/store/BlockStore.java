package io.minibit.core.store;

import io.minibit.core.Bitfield;
import io.minibit.core.ErrorCode;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * The bytes of one torrent on disk, and which of its blocks are verified.
 *
 * <p>A download lives in {@code <name>.<infohash>.part} (the first 16 hex digits of the
 * infohash: two torrents of one name never share a part file; see {@link PartFiles}), written
 * block by block at each block's offset. Its bitfield lives beside it in {@code
 * <name>.<infohash>.part.bitfield}: a block's bit is written there only after the block itself
 * was verified and written, and when a partial download is opened again every block the
 * bitfield claims is hashed once more ({@link HeldBlocks}), so a crash can cost blocks but never
 * leaves a block marked that is not really on disk. Neither is opened through a symbolic link.
 * {@link #finish} gives the part file the name {@code <name>} once every block is here and the
 * whole-file SHA-256 and MD5 match, never replacing a file already there.
 *
 * <p>The whole-file digests are computed while the download runs ({@link WholeFileDigest}):
 * {@link #hashVerifiedPrefix} feeds them the contiguous prefix of verified blocks, so finishing
 * does not re-read the file.
 *
 * <p>Thread-safe: blocks may be read and written from any thread.
 */
public final class BlockStore implements Closeable {
  /** What became of a block handed to {@link #write}. */
  public enum WriteResult {
    /** Verified and written; its bit is set. */
    STORED,
    /** Already held; nothing written. */
    DUPLICATE,
    /** Wrong length or hash; nothing written. */
    CORRUPT
  }

  private final Torrent torrent;
  private final Path finalPath;
  private final Object lock = new Object();
  // Block writes take turns: the kernel serializes writes to one file anyway, and writers
  // spinning on its lock burned CPU.
  private final Object writeLock = new Object();
  private volatile int resumedBlocks;
  /**
   * The part file, and after finish the same file under its final name (never reopened, so a
   * read in progress is not cut off). Positional I/O on it is thread-safe.
   */
  private final FileChannel data;
  private final HeldBlocks held;
  private boolean finished; // guarded by lock
  private final WholeFileDigest digest;

  private BlockStore(Torrent torrent, Path finalPath, FileChannel data, HeldBlocks held,
      boolean finished) {
    this.torrent = torrent;
    this.finalPath = finalPath;
    this.data = data;
    this.held = held;
    this.finished = finished;
    this.resumedBlocks = held.count();
    this.digest = new WholeFileDigest(torrent, finalPath, held::has);
  }

  /**
   * Opens a complete file for seeding. FAILED_PRECONDITION if its size does not match; the
   * content is trusted (it was hashed when the manifest was built, or verified on download).
   */
  public static BlockStore openComplete(Torrent torrent, Path file) throws IOException {
    return new BlockStore(torrent, file, PartFiles.openComplete(torrent, file),
        HeldBlocks.all(torrent.blockCount()), true);
  }

  /**
   * Opens (or creates) the partial download of {@code torrent} in {@code directory}, and
   * {@link #check}s the blocks its saved bitfield claims: those that fail are dropped from it.
   */
  public static BlockStore openPartial(Torrent torrent, Path directory) throws IOException {
    BlockStore store = openUnchecked(torrent, directory);
    try {
      store.check();
      return store;
    } catch (IOException | RuntimeException e) {
      store.close();
      throw e;
    }
  }

  /**
   * Opens (or creates) the partial download of {@code torrent} in {@code directory} without
   * reading its data: the blocks its saved bitfield claims are held only once {@link #check} has
   * hashed them, which can take a while for a large file, so a daemon runs it in the background.
   */
  public static BlockStore openUnchecked(Torrent torrent, Path directory) throws IOException {
    PartFiles.Opened opened = PartFiles.open(torrent, directory);
    return new BlockStore(torrent, directory.resolve(torrent.name()), opened.data(),
        HeldBlocks.claimed(opened.claimed(), opened.bits()), false);
  }

  /**
   * Hashes every block the saved bitfield claims and holds those that match, one by one (each is
   * served as soon as it is held); the others are dropped from the saved bitfield, to be fetched
   * again. Returns how many were kept. Throws {@link java.nio.channels.ClosedChannelException} if
   * the store is closed meanwhile, leaving the saved bitfield as it was.
   */
  public int check() throws IOException {
    resumedBlocks = held.checkClaimed(torrent, data);
    return resumedBlocks;
  }

  /** Blocks the saved bitfield claims that {@link #check} has yet to hash. */
  public int uncheckedBlocks() {
    return held.uncheckedCount();
  }

  /** Where the data of {@code torrent}'s download into {@code directory} lives until finished. */
  public static Path partPath(Path directory, Torrent torrent) {
    return PartFiles.partPath(directory, torrent);
  }

  /** Where the verified blocks of {@code torrent}'s download into {@code directory} are noted. */
  public static Path bitfieldPath(Path directory, Torrent torrent) {
    return PartFiles.bitfieldPath(directory, torrent);
  }

  /**
   * Takes over a part file that an earlier version named {@code <name>.part} (and its bitfield),
   * if there is one and no part file of the current form: opening it re-hashes every block it
   * claims, so a file another torrent of the same name wrote into costs blocks, not integrity.
   */
  public static void adoptLegacyPart(Path directory, Torrent torrent) throws IOException {
    PartFiles.adoptLegacyPart(directory, torrent);
  }

  /**
   * Clears what a crash in the middle of {@link #finish} can leave beside the finished file of
   * {@code torrent} in {@code directory}: its part file, if it is another name of that same file
   * (the new name was made and the old not yet removed), and its bitfield.
   */
  public static void clearFinishLeftovers(Path directory, Torrent torrent) throws IOException {
    PartFiles.clearFinishLeftovers(directory, torrent);
  }

  /**
   * Takes a finished file that may have changed since it was verified back into a download:
   * renames it to its part file, claims every block, and opens it: {@link #check} then hashes
   * every block again and keeps the ones that match. The blocks that do not are fetched again, and
   * {@link #finish} gives the file back its name once it is whole and verified.
   * FAILED_PRECONDITION if a part file of another content is in the way.
   */
  public static BlockStore reverify(Torrent torrent, Path directory) throws IOException {
    PartFiles.takeBack(torrent, directory);
    return openUnchecked(torrent, directory);
  }

  public Torrent torrent() {
    return torrent;
  }

  /** Where the file is once complete. */
  public Path finalPath() {
    return finalPath;
  }

  /** Blocks that were already on disk and verified when this store was opened (and checked). */
  public int resumedBlocks() {
    return resumedBlocks;
  }

  public boolean has(int index) {
    return held.has(index);
  }

  public Bitfield bitfield() {
    return held.copy();
  }

  public int haveCount() {
    return held.count();
  }

  public boolean isComplete() {
    return held.isComplete();
  }

  /** True once {@link #finish} has moved the file to its final name (or it was opened complete). */
  public boolean isFinished() {
    synchronized (lock) {
      return finished;
    }
  }

  /**
   * Reads block {@code index}. OUT_OF_RANGE for a bad index, FAILED_PRECONDITION if the block is
   * not held.
   */
  public byte[] read(int index) throws IOException {
    torrent.checkIndex(index);
    if (!held.has(index)) {
      throw new MinibitException(ErrorCode.FAILED_PRECONDITION,
          String.format("block %d of %s is not held here yet", index, torrent));
    }
    return PartFiles.readBlock(data, torrent, index, finalPath);
  }

  /**
   * Verifies {@code length} bytes of {@code data} as block {@code index} and, if they are right
   * and the block is new, writes them and marks the block held.
   */
  public WriteResult write(int index, byte[] data, int length) throws IOException {
    return write(index, ByteBuffer.wrap(data, 0, length));
  }

  /**
   * As {@link #write(int, byte[], int)}, for a block that arrived in {@code parts}, one after the
   * other (the buffers a network read left it in, say: nothing is copied on the way to disk).
   * The buffers' positions are left as they were.
   */
  public WriteResult write(int index, ByteBuffer... parts) throws IOException {
    torrent.checkIndex(index);
    if (has(index)) {
      return WriteResult.DUPLICATE;
    }
    if (!torrent.isValidBlock(index, parts)) {
      return WriteResult.CORRUPT;
    }
    synchronized (lock) {
      if (finished) {
        return WriteResult.DUPLICATE;
      }
    }
    synchronized (writeLock) {
      PartFiles.writeAt(data, torrent.blockOffset(index), parts);
    }
    // false: a concurrent write of the same block won; same bytes
    return held.add(index) ? WriteResult.STORED : WriteResult.DUPLICATE;
  }

  /**
   * Feeds the whole-file digests with every verified block that extends the contiguous prefix
   * hashed so far. Cheap to call often.
   */
  public void hashVerifiedPrefix() throws IOException {
    digest.hashVerifiedPrefix(data);
  }

  /** How many whole-file digests there are: {@link #hashVerifiedPrefix(int)} feeds one. */
  public static int wholeFileDigests() {
    return WholeFileDigest.LANES;
  }

  /**
   * Like {@link #hashVerifiedPrefix()}, for whole-file digest {@code digest} alone (0 to {@link
   * #wholeFileDigests()} - 1): a background thread for each keeps both up with a download that
   * comes faster than one core hashes. Each reads the blocks it hashes.
   */
  public void hashVerifiedPrefix(int digest) throws IOException {
    this.digest.hashVerifiedPrefix(data, digest);
  }

  /** Blocks hashed into the whole-file digests so far. */
  public int hashedPrefix() {
    return digest.hashedPrefix();
  }

  /**
   * Completes the download: checks the whole-file SHA-256 and MD5, flushes the data to disk and
   * gives the part file its final name (durably, and never over another file).
   * FAILED_PRECONDITION if blocks are missing or the name is taken, DATA_LOSS if the whole file
   * does not match the manifest (in both cases the part file is kept). Returns the final path.
   */
  public Path finish() throws IOException {
    synchronized (lock) {
      if (finished) {
        return finalPath;
      }
      if (!held.isComplete()) {
        throw new MinibitException(ErrorCode.FAILED_PRECONDITION, String.format(
            "%s has %d of %d blocks", torrent, held.count(), torrent.blockCount()));
      }
    }
    digest.requireMatch(data);
    synchronized (lock) {
      if (finished) {
        return finalPath;
      }
      PartFiles.promote(torrent, finalPath, data);
      held.close();
      PartFiles.deleteBitfield(torrent, finalPath.getParent());
      finished = true;
      return finalPath;
    }
  }

  /** Closes the store and deletes its files: the part file and bitfield, or the finished file. */
  public void delete() throws IOException {
    close();
    synchronized (lock) {
      PartFiles.delete(torrent, finalPath, finished);
    }
  }

  @Override
  public void close() throws IOException {
    synchronized (lock) {
      data.close();
      held.close();
    }
  }
}
