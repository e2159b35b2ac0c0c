package io.minibit.core.store;

import io.minibit.core.AtomicFiles;
import io.minibit.core.Bitfield;
import io.minibit.core.ErrorCode;
import io.minibit.core.Hashing;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import io.minibit.core.Validation;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;

/**
 * The bytes of one torrent on disk, and which of its blocks are verified.
 *
 * <p>A download lives in {@code <name>.<infohash>.part} (the first 16 hex digits of the
 * infohash: two torrents of one name never share a part file), written block by block at each
 * block's offset. Its bitfield lives beside it in {@code <name>.<infohash>.part.bitfield}: a
 * block's bit is written there only after the block itself was verified and written, and when a
 * partial download is opened again every block the bitfield claims is hashed once more, so a
 * crash can cost blocks but never leaves a block marked that is not really on disk. Neither is
 * opened through a symbolic link. {@link #finish} gives the part file the name {@code <name>}
 * once every block is here and the whole-file SHA-256 and MD5 match, never replacing a file
 * already there.
 *
 * <p>The whole-file digests are computed while the download runs: {@link #hashVerifiedPrefix}
 * feeds them the contiguous prefix of verified blocks, so finishing does not re-read the file.
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
  private final Object hasherLock = new Object();
  /**
   * Block writes take turns: the kernel serializes writes to one file anyway, and writers
   * spinning on its lock burned CPU.
   */
  private final Object writeLock = new Object();
  private volatile int resumedBlocks;

  private FileChannel data; // guarded by lock for reassignment; positional I/O is thread-safe
  private FileChannel bitfieldFile; // null once complete
  private final Bitfield have; // guarded by lock
  /** Blocks the saved bitfield claims and {@link #check} has not hashed yet; guarded by lock. */
  private final Bitfield unchecked;
  private boolean finished; // guarded by lock

  // guarded by hasherLock
  private final MessageDigest fileSha256 = Hashing.newSha256();
  private final MessageDigest fileMd5 = Hashing.newMd5();
  private int hashedPrefix;

  private BlockStore(Torrent torrent, Path finalPath, FileChannel data, FileChannel bitfieldFile,
      Bitfield have, boolean finished) {
    this(torrent, finalPath, data, bitfieldFile, have, new Bitfield(torrent.blockCount()),
        finished);
  }

  private BlockStore(Torrent torrent, Path finalPath, FileChannel data, FileChannel bitfieldFile,
      Bitfield have, Bitfield unchecked, boolean finished) {
    this.torrent = torrent;
    this.finalPath = finalPath;
    this.data = data;
    this.bitfieldFile = bitfieldFile;
    this.have = have;
    this.unchecked = unchecked;
    this.finished = finished;
    this.resumedBlocks = have.cardinality();
  }

  /**
   * Opens a complete file for seeding. FAILED_PRECONDITION if its size does not match; the
   * content is trusted (it was hashed when the manifest was built, or verified on download).
   */
  public static BlockStore openComplete(Torrent torrent, Path file) throws IOException {
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    if (channel.size() != torrent.size()) {
      long actual = channel.size();
      channel.close();
      throw new MinibitException(ErrorCode.FAILED_PRECONDITION, String.format(
          "%s is %d bytes but its manifest says %d", file, actual, torrent.size()));
    }
    return new BlockStore(torrent, file, channel, null, Bitfield.full(torrent.blockCount()), true);
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
    Path finalPath = directory.resolve(torrent.name());
    FileChannel data = openNoFollow(partPath(directory, torrent));
    FileChannel bits = null;
    try {
      bits = openNoFollow(bitfieldPath(directory, torrent));
      if (data.size() > torrent.size()) {
        // left by something else (an older torrent of the same name): the final file would keep
        // the extra bytes, since only the blocks and the hashes of the blocks are checked
        data.truncate(torrent.size());
      }
      Bitfield claimed = readBitfield(bits, torrent.blockCount());
      if (bits.size() != Bitfield.byteLength(torrent.blockCount())) {
        bits.truncate(0);
        writeFully(bits, ByteBuffer.wrap(claimed.toBytes()), 0);
      }
      return new BlockStore(torrent, finalPath, data, bits, new Bitfield(torrent.blockCount()),
          claimed, false);
    } catch (IOException | RuntimeException e) {
      data.close();
      if (bits != null) {
        bits.close();
      }
      throw e;
    }
  }

  /**
   * Hashes every block the saved bitfield claims and holds those that match, one by one (each is
   * served as soon as it is held); the others are dropped from the saved bitfield, to be fetched
   * again. Returns how many were kept. Throws {@link ClosedChannelException} if the store is
   * closed meanwhile, leaving the saved bitfield as it was.
   */
  public int check() throws IOException {
    Bitfield claimed;
    FileChannel channel;
    synchronized (lock) {
      claimed = unchecked.copy();
      channel = data;
    }
    ByteBuffer buffer = ByteBuffer.allocate(torrent.blockSize());
    boolean dropped = false;
    for (int index : claimed.setBits().toArray()) {
      boolean good = readInto(channel, torrent, index, buffer)
          && torrent.isValidBlock(index, buffer.array(), buffer.limit());
      if (!channel.isOpen()) {
        throw new ClosedChannelException();
      }
      synchronized (lock) {
        unchecked.clear(index);
        if (good) {
          have.set(index);
        }
      }
      dropped |= !good;
    }
    synchronized (lock) {
      if (dropped) {
        bitfieldFile.truncate(0);
        writeFully(bitfieldFile, ByteBuffer.wrap(have.toBytes()), 0);
      }
      resumedBlocks = have.cardinality();
      return resumedBlocks;
    }
  }

  /** Blocks the saved bitfield claims that {@link #check} has yet to hash. */
  public int uncheckedBlocks() {
    synchronized (lock) {
      return unchecked.cardinality();
    }
  }

  /**
   * Opens (creating it if needed) a file of this store for reading and writing; a symbolic link
   * in its place is refused (FAILED_PRECONDITION), not followed out of the directory.
   */
  private static FileChannel openNoFollow(Path path) throws IOException {
    try {
      return FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) { // ELOOP comes as a bare IOException
      if (Files.isSymbolicLink(path)) {
        throw new MinibitException(ErrorCode.FAILED_PRECONDITION, String.format(
            "%s is a symbolic link; a download's part files are never opened through one: "
                + "remove it", path), e);
      }
      throw e;
    }
  }

  /** Where the data of {@code torrent}'s download into {@code directory} lives until finished. */
  public static Path partPath(Path directory, Torrent torrent) {
    return directory.resolve(partStem(torrent) + Validation.PART_SUFFIX);
  }

  /** Where the verified blocks of {@code torrent}'s download into {@code directory} are noted. */
  public static Path bitfieldPath(Path directory, Torrent torrent) {
    return directory.resolve(partStem(torrent) + Validation.BITFIELD_SUFFIX);
  }

  private static String partStem(Torrent torrent) {
    return torrent.name() + "." + torrent.infoHash().hex().substring(0,
        Validation.PART_INFOHASH_DIGITS);
  }

  /**
   * Takes over a part file that an earlier version named {@code <name>.part} (and its bitfield),
   * if there is one and no part file of the current form: opening it re-hashes every block it
   * claims, so a file another torrent of the same name wrote into costs blocks, not integrity.
   */
  public static void adoptLegacyPart(Path directory, Torrent torrent) throws IOException {
    Path legacy = directory.resolve(torrent.name() + Validation.PART_SUFFIX);
    Path legacyBits = directory.resolve(torrent.name() + Validation.BITFIELD_SUFFIX);
    Path part = partPath(directory, torrent);
    if (Files.isRegularFile(legacy, LinkOption.NOFOLLOW_LINKS)
        && !Files.exists(part, LinkOption.NOFOLLOW_LINKS)) {
      Files.move(legacy, part);
      if (Files.isRegularFile(legacyBits, LinkOption.NOFOLLOW_LINKS)) {
        Files.move(legacyBits, bitfieldPath(directory, torrent));
      }
    }
  }

  /**
   * Clears what a crash in the middle of {@link #finish} can leave beside the finished file of
   * {@code torrent} in {@code directory}: its part file, if it is another name of that same file
   * (the new name was made and the old not yet removed), and its bitfield.
   */
  public static void clearFinishLeftovers(Path directory, Torrent torrent) throws IOException {
    Path part = partPath(directory, torrent);
    Path finalPath = directory.resolve(torrent.name());
    if (Files.isRegularFile(part, LinkOption.NOFOLLOW_LINKS) && Files.isSameFile(part, finalPath)) {
      Files.delete(part);
      Files.deleteIfExists(bitfieldPath(directory, torrent));
      AtomicFiles.syncDirectory(directory);
    }
  }

  /**
   * Takes a finished file that may have changed since it was verified back into a download:
   * renames it to its part file, claims every block, and opens it: {@link #check} then hashes
   * every block again and keeps the ones that match. The blocks that do not are fetched again, and
   * {@link #finish} gives the file back its name once it is whole and verified.
   * FAILED_PRECONDITION if a part file of another content is in the way.
   */
  public static BlockStore reverify(Torrent torrent, Path directory) throws IOException {
    Path finalPath = directory.resolve(torrent.name());
    Path part = partPath(directory, torrent);
    clearFinishLeftovers(directory, torrent);
    try {
      Files.move(finalPath, part);
    } catch (FileAlreadyExistsException e) {
      throw new MinibitException(ErrorCode.FAILED_PRECONDITION, String.format(
          "cannot check %s again: %s is in the way; remove it", finalPath, part), e);
    }
    AtomicFiles.write(bitfieldPath(directory, torrent),
        Bitfield.full(torrent.blockCount()).toBytes());
    AtomicFiles.syncDirectory(directory);
    return openUnchecked(torrent, directory);
  }

  private static Bitfield readBitfield(FileChannel bits, int blockCount) throws IOException {
    int length = Bitfield.byteLength(blockCount);
    if (bits.size() != length) {
      return new Bitfield(blockCount); // new, or torn: start over, nothing is trusted
    }
    ByteBuffer buffer = ByteBuffer.allocate(length);
    while (buffer.hasRemaining() && bits.read(buffer, buffer.position()) >= 0) {
      // read until full
    }
    try {
      return Bitfield.fromBytes(blockCount, buffer.array());
    } catch (MinibitException e) {
      return new Bitfield(blockCount);
    }
  }

  private static boolean readInto(FileChannel channel, Torrent torrent, int index, ByteBuffer buffer) {
    buffer.clear().limit(torrent.blockLength(index));
    long offset = torrent.blockOffset(index);
    try {
      while (buffer.hasRemaining()) {
        if (channel.read(buffer, offset + buffer.position()) < 0) {
          return false;
        }
      }
    } catch (IOException e) {
      return false;
    }
    buffer.flip();
    return true;
  }

  /** Writes what remains of {@code buffer} at {@code position} of the file. */
  private static void writeFully(FileChannel channel, ByteBuffer buffer, long position)
      throws IOException {
    long at = position;
    while (buffer.hasRemaining()) {
      at += channel.write(buffer, at);
    }
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
    synchronized (lock) {
      return have.get(index);
    }
  }

  public Bitfield bitfield() {
    synchronized (lock) {
      return have.copy();
    }
  }

  public int haveCount() {
    synchronized (lock) {
      return have.cardinality();
    }
  }

  public boolean isComplete() {
    synchronized (lock) {
      return have.isComplete();
    }
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
    FileChannel channel;
    synchronized (lock) {
      if (!have.get(index)) {
        throw new MinibitException(ErrorCode.FAILED_PRECONDITION,
            String.format("block %d of %s is not held here yet", index, torrent));
      }
      channel = data;
    }
    ByteBuffer buffer = ByteBuffer.allocate(torrent.blockLength(index));
    long offset = torrent.blockOffset(index);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, offset + buffer.position()) < 0) {
        throw new IOException("unexpected end of " + finalPath + " at block " + index);
      }
    }
    return buffer.array();
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
    FileChannel channel;
    synchronized (lock) {
      if (finished) {
        return WriteResult.DUPLICATE;
      }
      channel = this.data;
    }
    long offset = torrent.blockOffset(index);
    synchronized (writeLock) {
      for (ByteBuffer part : parts) {
        ByteBuffer bytes = part.duplicate();
        int length = bytes.remaining();
        writeFully(channel, bytes, offset);
        offset += length;
      }
    }
    synchronized (lock) {
      if (have.get(index)) {
        return WriteResult.DUPLICATE; // a concurrent write of the same block won; same bytes
      }
      have.set(index);
      int byteIndex = index / 8;
      writeFully(bitfieldFile, ByteBuffer.wrap(new byte[] {have.byteAt(byteIndex)}), byteIndex);
    }
    return WriteResult.STORED;
  }

  /**
   * Feeds the whole-file digests with every verified block that extends the contiguous prefix
   * hashed so far. Cheap to call often; call it from one background thread while downloading.
   */
  public void hashVerifiedPrefix() throws IOException {
    synchronized (hasherLock) {
      ByteBuffer buffer = null;
      while (hashedPrefix < torrent.blockCount() && has(hashedPrefix)) {
        if (buffer == null) {
          buffer = ByteBuffer.allocate(torrent.blockSize());
        }
        FileChannel channel;
        synchronized (lock) {
          channel = data;
        }
        if (!readInto(channel, torrent, hashedPrefix, buffer)) {
          throw new IOException("cannot read block " + hashedPrefix + " back from " + finalPath);
        }
        fileSha256.update(buffer.array(), 0, buffer.limit());
        fileMd5.update(buffer.array(), 0, buffer.limit());
        hashedPrefix++;
      }
    }
  }

  /** Blocks hashed into the whole-file digests so far. */
  public int hashedPrefix() {
    synchronized (hasherLock) {
      return hashedPrefix;
    }
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
      if (!have.isComplete()) {
        throw new MinibitException(ErrorCode.FAILED_PRECONDITION, String.format(
            "%s has %d of %d blocks", torrent, have.cardinality(), torrent.blockCount()));
      }
    }
    hashVerifiedPrefix();
    byte[] sha256;
    byte[] md5;
    synchronized (hasherLock) {
      sha256 = cloneDigest(fileSha256).digest();
      md5 = cloneDigest(fileMd5).digest();
    }
    if (!torrent.matchesFileHashes(sha256, md5)) {
      throw new MinibitException(ErrorCode.DATA_LOSS, String.format(
          "every block of %s verified, but the whole file does not match the manifest's "
              + "SHA-256 and MD5: the manifest is inconsistent", torrent));
    }
    synchronized (lock) {
      if (finished) {
        return finalPath;
      }
      Path directory = finalPath.getParent();
      Path part = partPath(directory, torrent);
      data.force(true);
      try {
        AtomicFiles.publish(part, finalPath);
      } catch (FileAlreadyExistsException e) {
        throw new MinibitException(ErrorCode.FAILED_PRECONDITION, String.format(
            "%s is whole and verified, but %s appeared while it downloaded and is not replaced: "
                + "move that file away and run get again", part.getFileName(), finalPath), e);
      }
      data.close();
      data = FileChannel.open(finalPath, StandardOpenOption.READ);
      bitfieldFile.close();
      bitfieldFile = null;
      Files.deleteIfExists(bitfieldPath(directory, torrent));
      AtomicFiles.syncDirectory(directory);
      finished = true;
      return finalPath;
    }
  }

  private static MessageDigest cloneDigest(MessageDigest digest) {
    try {
      return (MessageDigest) digest.clone();
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("JDK digests are cloneable", e);
    }
  }

  /** Closes the store and deletes its files: the part file and bitfield, or the finished file. */
  public void delete() throws IOException {
    close();
    Path directory = finalPath.getParent();
    synchronized (lock) {
      if (finished) {
        Files.deleteIfExists(finalPath);
      } else {
        Files.deleteIfExists(partPath(directory, torrent));
        Files.deleteIfExists(bitfieldPath(directory, torrent));
      }
    }
  }

  @Override
  public void close() throws IOException {
    synchronized (lock) {
      data.close();
      if (bitfieldFile != null) {
        bitfieldFile.close();
      }
    }
  }
}
