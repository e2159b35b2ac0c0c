package io.minibit.core;

import com.google.protobuf.ByteString;
import io.minibit.api.v2.Manifest;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * A validated manifest together with its infohash. Immutable; the only way to get one is through
 * {@link #of}, which refuses a malformed manifest with INVALID_ARGUMENT.
 *
 * <p>The infohash is the SHA-256 of the canonical encoding documented on {@code Manifest} in
 * manifest.proto and implemented by {@link #canonicalEncoding}.
 */
public final class Torrent {
  public static final int DEFAULT_BLOCK_SIZE = 256 * 1024;
  public static final int MIN_BLOCK_SIZE = 16 * 1024;
  public static final int MAX_BLOCK_SIZE = 4 * 1024 * 1024;
  public static final int MAX_BLOCKS = 65_536;
  public static final int SHA256_LENGTH = 32;
  public static final int MD5_LENGTH = 16;

  private static final byte[] ENCODING_MAGIC =
      "minibit-manifest-v1\0".getBytes(StandardCharsets.US_ASCII);

  private final Manifest manifest;
  private final InfoHash infoHash;
  private final int blockCount;

  private Torrent(Manifest manifest, InfoHash infoHash, int blockCount) {
    this.manifest = manifest;
    this.infoHash = infoHash;
    this.blockCount = blockCount;
  }

  /** Validates {@code manifest} and computes its infohash. */
  public static Torrent of(Manifest manifest) {
    int blockCount = validate(manifest);
    return new Torrent(manifest, InfoHash.of(Hashing.sha256(canonicalEncoding(manifest))),
        blockCount);
  }

  /**
   * Validates {@code manifest} and checks that it hashes to {@code expected}; INVALID_ARGUMENT if
   * it does not.
   */
  public static Torrent of(Manifest manifest, InfoHash expected) {
    Torrent torrent = of(manifest);
    if (!torrent.infoHash.equals(expected)) {
      throw MinibitException.invalid("manifest hashes to %s, not to the expected infohash %s",
          torrent.infoHash, expected);
    }
    return torrent;
  }

  /** Number of blocks a file of {@code size} bytes has with blocks of {@code blockSize}. */
  public static long blockCount(long size, int blockSize) {
    return size / blockSize + (size % blockSize == 0 ? 0 : 1); // no overflow near Long.MAX_VALUE
  }

  /** The smallest power-of-two multiple of 256 KiB that cuts a file into at most 65536 blocks. */
  public static int defaultBlockSize(long size) {
    int blockSize = DEFAULT_BLOCK_SIZE;
    while (blockCount(size, blockSize) > MAX_BLOCKS && blockSize < MAX_BLOCK_SIZE) {
      blockSize *= 2;
    }
    return blockSize;
  }

  private static int validate(Manifest m) {
    Validation.requireTorrentName("manifest name", m.getName());
    if (m.getSize() < 1) {
      throw MinibitException.invalid("manifest size %s is outside 1..%d bytes",
          Long.toUnsignedString(m.getSize()), Long.MAX_VALUE);
    }
    int blockSize = m.getBlockSize();
    if (blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE) {
      throw MinibitException.invalid("manifest block_size %d is outside %d..%d",
          Integer.toUnsignedLong(blockSize), MIN_BLOCK_SIZE, MAX_BLOCK_SIZE);
    }
    long expectedBlocks = blockCount(m.getSize(), blockSize);
    if (expectedBlocks > MAX_BLOCKS) {
      throw MinibitException.invalid(
          "manifest size %d in block_size %d blocks is %d blocks, more than %d: use larger blocks",
          m.getSize(), blockSize, expectedBlocks, MAX_BLOCKS);
    }
    if (m.getBlockSha256Count() != expectedBlocks) {
      throw MinibitException.invalid(
          "manifest block_sha256 lists %d hashes; a %d-byte file in %d-byte blocks has %d",
          m.getBlockSha256Count(), m.getSize(), blockSize, expectedBlocks);
    }
    for (int i = 0; i < m.getBlockSha256Count(); i++) {
      if (m.getBlockSha256(i).size() != SHA256_LENGTH) {
        throw MinibitException.invalid("manifest block_sha256[%d] is %d bytes, not %d", i,
            m.getBlockSha256(i).size(), SHA256_LENGTH);
      }
    }
    if (m.getFileSha256().size() != SHA256_LENGTH) {
      throw MinibitException.invalid("manifest file_sha256 is %d bytes, not %d",
          m.getFileSha256().size(), SHA256_LENGTH);
    }
    if (m.getFileMd5().size() != MD5_LENGTH) {
      throw MinibitException.invalid("manifest file_md5 is %d bytes, not %d",
          m.getFileMd5().size(), MD5_LENGTH);
    }
    return (int) expectedBlocks;
  }

  /** The byte string the infohash is computed over (see manifest.proto). */
  static byte[] canonicalEncoding(Manifest m) {
    byte[] name = m.getName().getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream bytes =
        new ByteArrayOutputStream(64 + name.length + SHA256_LENGTH * m.getBlockSha256Count());
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.write(ENCODING_MAGIC);
      out.writeShort(name.length);
      out.write(name);
      out.writeLong(m.getSize());
      out.writeInt(m.getBlockSize());
      out.writeInt(m.getBlockSha256Count());
      for (ByteString hash : m.getBlockSha256List()) {
        hash.writeTo(out);
      }
      m.getFileSha256().writeTo(out);
      m.getFileMd5().writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  public Manifest manifest() {
    return manifest;
  }

  public InfoHash infoHash() {
    return infoHash;
  }

  public String name() {
    return manifest.getName();
  }

  public long size() {
    return manifest.getSize();
  }

  public int blockSize() {
    return manifest.getBlockSize();
  }

  public int blockCount() {
    return blockCount;
  }

  /** Byte offset of block {@code index} in the file. */
  public long blockOffset(int index) {
    checkIndex(index);
    return (long) index * manifest.getBlockSize();
  }

  /** Length of block {@code index}: the block size, or less for the last block. */
  public int blockLength(int index) {
    checkIndex(index);
    long remaining = manifest.getSize() - (long) index * manifest.getBlockSize();
    return (int) Math.min(manifest.getBlockSize(), remaining);
  }

  /** True if {@code data} is block {@code index}: right length and right SHA-256. */
  public boolean isValidBlock(int index, byte[] data, int length) {
    return isValidBlock(index, java.nio.ByteBuffer.wrap(data, 0, length));
  }

  /**
   * Whether {@code parts}, one after the other, are block {@code index}: its length and its
   * SHA-256. The buffers' positions are left as they were.
   */
  public boolean isValidBlock(int index, java.nio.ByteBuffer... parts) {
    checkIndex(index);
    long length = 0;
    for (java.nio.ByteBuffer part : parts) {
      length += part.remaining();
    }
    if (length != blockLength(index)) {
      return false;
    }
    byte[] digest = Hashing.sha256(parts);
    return MessageDigest.isEqual(digest, manifest.getBlockSha256(index).toByteArray());
  }

  /** OUT_OF_RANGE unless {@code index} names a block of this torrent. */
  public void checkIndex(long index) {
    if (index < 0 || index >= blockCount) {
      throw new MinibitException(ErrorCode.OUT_OF_RANGE, String.format(
          "block %d is out of range: %s has blocks 0..%d", index, name(), blockCount - 1));
    }
  }

  public boolean matchesFileHashes(byte[] sha256, byte[] md5) {
    return Arrays.equals(sha256, manifest.getFileSha256().toByteArray())
        && Arrays.equals(md5, manifest.getFileMd5().toByteArray());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Torrent other && infoHash.equals(other.infoHash);
  }

  @Override
  public int hashCode() {
    return infoHash.hashCode();
  }

  @Override
  public String toString() {
    return name() + " (" + infoHash.shortHex() + ")";
  }
}
