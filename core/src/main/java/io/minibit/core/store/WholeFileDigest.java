package io.minibit.core.store;

import io.minibit.core.ErrorCode;
import io.minibit.core.Hashing;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.function.IntPredicate;

/**
 * The whole-file SHA-256 and MD5 of a download, computed while it runs: each call feeds them the
 * verified blocks that extend the contiguous prefix hashed so far, so that finishing does not
 * read the file again. Each digest is a lane of its own, with its own lock and its own place in
 * the file, so that two threads can feed one each: the MD5 takes more than twice the SHA-256's
 * time, and one thread feeding both was the last half-second of a fast download (its blocks
 * come faster than one core hashes them, and what it has not hashed is left for the end).
 * Thread-safe.
 */
final class WholeFileDigest {
  /** How many digests there are: {@link #hashVerifiedPrefix(FileChannel, int)} feeds one. */
  static final int LANES = 2;

  private final Torrent torrent;
  private final Path file;
  private final IntPredicate held;
  private final Lane sha256 = new Lane(Hashing.newSha256());
  private final Lane md5 = new Lane(Hashing.newMd5());
  private final Lane[] lanes = {sha256, md5};

  /**
   * @param file the file's name, for messages
   * @param held whether a block is verified and written
   */
  WholeFileDigest(Torrent torrent, Path file, IntPredicate held) {
    this.torrent = torrent;
    this.file = file;
    this.held = held;
  }

  /** Feeds both digests the held blocks that extend their prefix, from {@code data}. */
  void hashVerifiedPrefix(FileChannel data) throws IOException {
    for (Lane lane : lanes) {
      lane.extend(data);
    }
  }

  /**
   * Feeds digest {@code lane} (0 to {@link #LANES} - 1) the held blocks that extend its prefix,
   * from {@code data}; the other digest is left to another call, on another thread if wanted.
   */
  void hashVerifiedPrefix(FileChannel data, int lane) throws IOException {
    lanes[lane].extend(data);
  }

  /** Blocks hashed into both digests so far. */
  int hashedPrefix() {
    int hashed = Integer.MAX_VALUE;
    for (Lane lane : lanes) {
      hashed = Math.min(hashed, lane.hashed());
    }
    return hashed;
  }

  /**
   * Hashes what is left of the prefix and checks the whole file against the manifest's SHA-256
   * and MD5; call once every block is held. DATA_LOSS if they do not match.
   */
  void requireMatch(FileChannel data) throws IOException {
    hashVerifiedPrefix(data);
    if (!torrent.matchesFileHashes(sha256.result(), md5.result())) {
      throw new MinibitException(ErrorCode.DATA_LOSS, String.format(
          "every block of %s verified, but the whole file does not match the manifest's "
              + "SHA-256 and MD5: the manifest is inconsistent", torrent));
    }
  }

  /** One digest and the blocks fed to it so far. Thread-safe: its own lock guards both. */
  private final class Lane {
    private final MessageDigest digest;
    private int hashed;

    Lane(MessageDigest digest) {
      this.digest = digest;
    }

    synchronized void extend(FileChannel data) throws IOException {
      ByteBuffer buffer = null;
      while (hashed < torrent.blockCount() && held.test(hashed)) {
        if (buffer == null) {
          buffer = ByteBuffer.allocate(torrent.blockSize());
        }
        if (!PartFiles.readInto(data, torrent, hashed, buffer)) {
          throw new IOException("cannot read block " + hashed + " back from " + file);
        }
        digest.update(buffer.array(), 0, buffer.limit());
        hashed++;
      }
    }

    synchronized int hashed() {
      return hashed;
    }

    /** The digest of what was fed so far; the lane goes on from there. */
    synchronized byte[] result() {
      try {
        return ((MessageDigest) digest.clone()).digest();
      } catch (CloneNotSupportedException e) {
        throw new IllegalStateException("JDK digests are cloneable", e);
      }
    }
  }
}
