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
 * read the file again. Thread-safe: its own lock guards the digests.
 */
final class WholeFileDigest {
  private final Torrent torrent;
  private final Path file;
  private final IntPredicate held;
  private final Object lock = new Object();
  // guarded by lock
  private final MessageDigest sha256 = Hashing.newSha256();
  private final MessageDigest md5 = Hashing.newMd5();
  private int hashedPrefix;

  /**
   * @param file the file's name, for messages
   * @param held whether a block is verified and written
   */
  WholeFileDigest(Torrent torrent, Path file, IntPredicate held) {
    this.torrent = torrent;
    this.file = file;
    this.held = held;
  }

  /** Feeds the digests the held blocks that extend the prefix hashed so far, from {@code data}. */
  void hashVerifiedPrefix(FileChannel data) throws IOException {
    synchronized (lock) {
      ByteBuffer buffer = null;
      while (hashedPrefix < torrent.blockCount() && held.test(hashedPrefix)) {
        if (buffer == null) {
          buffer = ByteBuffer.allocate(torrent.blockSize());
        }
        if (!PartFiles.readInto(data, torrent, hashedPrefix, buffer)) {
          throw new IOException("cannot read block " + hashedPrefix + " back from " + file);
        }
        sha256.update(buffer.array(), 0, buffer.limit());
        md5.update(buffer.array(), 0, buffer.limit());
        hashedPrefix++;
      }
    }
  }

  /** Blocks hashed so far. */
  int hashedPrefix() {
    synchronized (lock) {
      return hashedPrefix;
    }
  }

  /**
   * Hashes what is left of the prefix and checks the whole file against the manifest's SHA-256
   * and MD5; call once every block is held. DATA_LOSS if they do not match.
   */
  void requireMatch(FileChannel data) throws IOException {
    hashVerifiedPrefix(data);
    byte[] sha;
    byte[] md;
    synchronized (lock) {
      sha = copy(sha256).digest();
      md = copy(md5).digest();
    }
    if (!torrent.matchesFileHashes(sha, md)) {
      throw new MinibitException(ErrorCode.DATA_LOSS, String.format(
          "every block of %s verified, but the whole file does not match the manifest's "
              + "SHA-256 and MD5: the manifest is inconsistent", torrent));
    }
  }

  private static MessageDigest copy(MessageDigest digest) {
    try {
      return (MessageDigest) digest.clone();
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("JDK digests are cloneable", e);
    }
  }
}
