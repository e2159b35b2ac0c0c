package io.minibit.tracker;

import com.google.protobuf.ByteString;
import io.minibit.api.v2.Manifest;
import io.minibit.core.Hashing;
import io.minibit.core.Torrent;
import java.util.Random;

/** Valid manifests for made-up files, hashed from seeded random bytes. */
final class TestManifests {
  static final int BLOCK_SIZE = Torrent.MIN_BLOCK_SIZE;

  private TestManifests() {}

  /** A 3-block manifest named {@code name}; each seed gives different content. */
  static Manifest manifest(String name, long seed) {
    return manifest(name, 2L * BLOCK_SIZE + 1000, BLOCK_SIZE, seed);
  }

  static Manifest manifest(String name, long size, int blockSize, long seed) {
    byte[] data = new byte[Math.toIntExact(size)];
    new Random(seed).nextBytes(data);
    Manifest.Builder manifest = Manifest.newBuilder()
        .setName(name)
        .setSize(size)
        .setBlockSize(blockSize);
    for (int offset = 0; offset < data.length; offset += blockSize) {
      int length = Math.min(blockSize, data.length - offset);
      manifest.addBlockSha256(ByteString.copyFrom(Hashing.sha256(data, offset, length)));
    }
    return manifest
        .setFileSha256(ByteString.copyFrom(Hashing.sha256(data)))
        .setFileMd5(ByteString.copyFrom(Hashing.newMd5().digest(data)))
        .build();
  }

  /** {@code manifest} with its last block hash missing: one fewer than its size calls for. */
  static Manifest withoutLastBlockHash(Manifest manifest) {
    int count = manifest.getBlockSha256Count();
    return manifest.toBuilder()
        .clearBlockSha256()
        .addAllBlockSha256(manifest.getBlockSha256List().subList(0, count - 1))
        .build();
  }
}
