package io.minibit.core.store;

import io.minibit.core.AtomicFiles;
import io.minibit.core.Bitfield;
import io.minibit.core.ErrorCode;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import io.minibit.core.Validation;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The files of one download on disk, and the I/O on them that {@link BlockStore} does: the part
 * file {@code <name>.<infohash>.part} (the first 16 hex digits of the infohash) and its bitfield
 * {@code <name>.<infohash>.part.bitfield}, neither opened through a symbolic link; a block's bytes
 * at its offset; the bitfield written whole or one byte at a time; and the part file's durable
 * rename to the finished name. It decides nothing: which blocks are held is {@link BlockStore}'s.
 * Stateless; positional I/O on a channel is thread-safe.
 */
final class PartFiles {
  private PartFiles() {}

  /** A download's files as opened: its data, its bitfield, and the blocks the bitfield claims. */
  record Opened(FileChannel data, FileChannel bits, Bitfield claimed) {}

  static Path partPath(Path directory, Torrent torrent) {
    return directory.resolve(partStem(torrent) + Validation.PART_SUFFIX);
  }

  static Path bitfieldPath(Path directory, Torrent torrent) {
    return directory.resolve(partStem(torrent) + Validation.BITFIELD_SUFFIX);
  }

  private static String partStem(Torrent torrent) {
    return torrent.name() + "." + torrent.infoHash().hex().substring(0,
        Validation.PART_INFOHASH_DIGITS);
  }

  /** Opens a complete file to read; FAILED_PRECONDITION if its size is not the torrent's. */
  static FileChannel openComplete(Torrent torrent, Path file) throws IOException {
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    if (channel.size() != torrent.size()) {
      long actual = channel.size();
      channel.close();
      throw new MinibitException(ErrorCode.FAILED_PRECONDITION, String.format(
          "%s is %d bytes but its manifest says %d", file, actual, torrent.size()));
    }
    return channel;
  }

  /**
   * Opens (creating them if needed) the part file and the bitfield of {@code torrent} in {@code
   * directory}: a part file longer than the torrent is cut to its size, and a bitfield that is
   * not one (new, or torn) is written empty and claims nothing.
   */
  static Opened open(Torrent torrent, Path directory) throws IOException {
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
        saveBitfield(bits, claimed);
      }
      return new Opened(data, bits, claimed);
    } catch (IOException | RuntimeException e) {
      data.close();
      if (bits != null) {
        bits.close();
      }
      throw e;
    }
  }

  /**
   * Opens (creating it if needed) a file of a download for reading and writing; a symbolic link
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

  /** See {@link BlockStore#adoptLegacyPart}. */
  static void adoptLegacyPart(Path directory, Torrent torrent) throws IOException {
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

  /** See {@link BlockStore#clearFinishLeftovers}. */
  static void clearFinishLeftovers(Path directory, Torrent torrent) throws IOException {
    Path part = partPath(directory, torrent);
    Path finalPath = directory.resolve(torrent.name());
    if (Files.isRegularFile(part, LinkOption.NOFOLLOW_LINKS) && Files.isSameFile(part, finalPath)) {
      Files.delete(part);
      Files.deleteIfExists(bitfieldPath(directory, torrent));
      AtomicFiles.syncDirectory(directory);
    }
  }

  /**
   * Renames the finished file of {@code torrent} back to its part file, with a bitfield that
   * claims every block. FAILED_PRECONDITION if a part file is in the way.
   */
  static void takeBack(Torrent torrent, Path directory) throws IOException {
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
  }

  /**
   * Flushes the part file and gives it the name {@code finalPath} (durably, never over another
   * file: FAILED_PRECONDITION). {@code data} stays open and reads the finished file: a new name
   * is a new link to the same file, so a block being read for another peer at this moment is
   * still read.
   */
  static void promote(Torrent torrent, Path finalPath, FileChannel data) throws IOException {
    Path part = partPath(finalPath.getParent(), torrent);
    data.force(true);
    try {
      AtomicFiles.publish(part, finalPath);
    } catch (FileAlreadyExistsException e) {
      throw new MinibitException(ErrorCode.FAILED_PRECONDITION, String.format(
          "%s is whole and verified, but %s appeared while it downloaded and is not replaced: "
              + "move that file away and run get again", part.getFileName(), finalPath), e);
    }
  }

  /** Deletes the bitfield of a finished download, durably. */
  static void deleteBitfield(Torrent torrent, Path directory) throws IOException {
    Files.deleteIfExists(bitfieldPath(directory, torrent));
    AtomicFiles.syncDirectory(directory);
  }

  /** Deletes the files of a download: the finished file, or the part file and its bitfield. */
  static void delete(Torrent torrent, Path finalPath, boolean finished) throws IOException {
    Path directory = finalPath.getParent();
    if (finished) {
      Files.deleteIfExists(finalPath);
    } else {
      Files.deleteIfExists(partPath(directory, torrent));
      Files.deleteIfExists(bitfieldPath(directory, torrent));
    }
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

  /** Writes {@code have} as the whole bitfield file. */
  static void saveBitfield(FileChannel bits, Bitfield have) throws IOException {
    bits.truncate(0);
    writeFully(bits, ByteBuffer.wrap(have.toBytes()), 0);
  }

  /** Writes the byte of the bitfield file that holds block {@code index}'s bit. */
  static void saveBit(FileChannel bits, Bitfield have, int index) throws IOException {
    int byteIndex = index / 8;
    writeFully(bits, ByteBuffer.wrap(new byte[] {have.byteAt(byteIndex)}), byteIndex);
  }

  /** Reads block {@code index} into {@code buffer}, flipped; false if it cannot be read whole. */
  static boolean readInto(FileChannel channel, Torrent torrent, int index, ByteBuffer buffer) {
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

  /** Block {@code index} read whole from {@code channel}; {@code file} names it in errors. */
  static byte[] readBlock(FileChannel channel, Torrent torrent, int index, Path file)
      throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(torrent.blockLength(index));
    long offset = torrent.blockOffset(index);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, offset + buffer.position()) < 0) {
        throw new IOException("unexpected end of " + file + " at block " + index);
      }
    }
    return buffer.array();
  }

  /**
   * Writes {@code parts}, one after the other, at {@code offset}; their positions stay. A block
   * that arrived in many network buffers goes out in one gathering write from the channel's
   * position, not a positional write per buffer: about 17 system calls fewer per 256 KiB block.
   * The position is the channel's own state, so writers take turns (the store's write lock);
   * reads go by position and do not touch it.
   */
  static void writeAt(FileChannel channel, long offset, ByteBuffer... parts) throws IOException {
    ByteBuffer[] bytes = new ByteBuffer[parts.length];
    long length = 0;
    for (int i = 0; i < parts.length; i++) {
      bytes[i] = parts[i].duplicate();
      length += bytes[i].remaining();
    }
    channel.position(offset);
    for (long written = 0; written < length; ) {
      written += channel.write(bytes);
    }
  }

  /** Writes what remains of {@code buffer} at {@code position} of the file. */
  private static void writeFully(FileChannel channel, ByteBuffer buffer, long position)
      throws IOException {
    long at = position;
    while (buffer.hasRemaining()) {
      at += channel.write(buffer, at);
    }
  }
}
