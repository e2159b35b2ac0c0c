package io.minibit.core;

import com.google.protobuf.ByteString;
import io.minibit.api.v1.Manifest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;

/** Computes a file's manifest in one read of the file: every block's SHA-256, the file's SHA-256 and MD5. */
public final class ManifestBuilder {
  private ManifestBuilder() {}

  /**
   * Hashes {@code file} into a manifest named {@code name}.
   *
   * @param blockSize bytes per block, or 0 for {@link Torrent#defaultBlockSize}
   */
  public static Torrent build(Path file, String name, int blockSize) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size == 0) {
        throw MinibitException.invalid("%s is empty: there is nothing to share", file.getFileName());
      }
      int effectiveBlockSize = blockSize == 0 ? Torrent.defaultBlockSize(size) : blockSize;
      if (effectiveBlockSize < Torrent.MIN_BLOCK_SIZE || effectiveBlockSize > Torrent.MAX_BLOCK_SIZE) {
        throw MinibitException.invalid("block size %d is outside %d..%d", effectiveBlockSize,
            Torrent.MIN_BLOCK_SIZE, Torrent.MAX_BLOCK_SIZE);
      }
      Manifest.Builder manifest = Manifest.newBuilder()
          .setName(name)
          .setSize(size)
          .setBlockSize(effectiveBlockSize);
      MessageDigest fileSha256 = Hashing.newSha256();
      MessageDigest fileMd5 = Hashing.newMd5();
      MessageDigest blockSha256 = Hashing.newSha256();
      ByteBuffer block = ByteBuffer.allocate(effectiveBlockSize);
      long position = 0;
      while (position < size) {
        block.clear();
        int length = (int) Math.min(effectiveBlockSize, size - position);
        block.limit(length);
        while (block.hasRemaining()) {
          if (channel.read(block, position + block.position()) < 0) {
            throw new IOException(file + " shrank while it was being hashed");
          }
        }
        byte[] bytes = block.array();
        blockSha256.update(bytes, 0, length);
        fileSha256.update(bytes, 0, length);
        fileMd5.update(bytes, 0, length);
        manifest.addBlockSha256(ByteString.copyFrom(blockSha256.digest()));
        position += length;
      }
      manifest.setFileSha256(ByteString.copyFrom(fileSha256.digest()));
      manifest.setFileMd5(ByteString.copyFrom(fileMd5.digest()));
      return Torrent.of(manifest.build());
    }
  }
}
