package io.minibit.core;

import com.google.protobuf.ByteString;
import io.minibit.api.v2.Manifest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;

/**
 * Computes a file's manifest in one read of the file: every block's SHA-256, the file's SHA-256
 * and MD5.
 *
 * <p>The file is read in batches of whole blocks, one batch read while the one before is hashed.
 * A batch's work runs in parallel on the given workers: the whole-file SHA-256 and MD5 each take
 * the batch in order (a digest cannot be split), and the blocks' own hashes are spread over the
 * workers in slices. With two cores the two whole-file digests already keep both busy.
 */
public final class ManifestBuilder {
  /** Bytes read per batch (rounded to whole blocks, at least one). */
  static final int BATCH_BYTES = 8 * 1024 * 1024;

  /** Told how far the hashing has got, after each batch; it may stop the hashing by throwing. */
  @FunctionalInterface
  public interface Progress {
    Progress NONE = (hashed, size) -> { };

    void hashed(long bytesHashed, long size);
  }

  private ManifestBuilder() {}

  /**
   * Hashes {@code file} into a manifest named {@code name}, on the calling thread.
   *
   * @param blockSize bytes per block, or 0 for {@link Torrent#defaultBlockSize}
   */
  public static Torrent build(Path file, String name, int blockSize) throws IOException {
    return build(file, name, blockSize, Runnable::run, 1, Progress.NONE);
  }

  /**
   * As above, with the hashing spread over {@code workers} ({@code parallelism} of its threads
   * at a time, at most), and {@code progress} told after each batch. An exception {@code
   * progress} throws ends the hashing and comes out of this method.
   */
  public static Torrent build(Path file, String name, int blockSize, Executor workers,
      int parallelism, Progress progress) throws IOException {
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
      long blockCount = Torrent.blockCount(size, effectiveBlockSize);
      if (blockCount > Torrent.MAX_BLOCKS) {
        throw MinibitException.invalid("%d blocks of %d bytes are more than %d: use larger blocks",
            blockCount, effectiveBlockSize, Torrent.MAX_BLOCKS);
      }
      Hasher hasher = new Hasher(channel, file, size, effectiveBlockSize, (int) blockCount,
          workers, Math.max(1, parallelism));
      hasher.run(progress);
      return Torrent.of(Manifest.newBuilder()
          .setName(name)
          .setSize(size)
          .setBlockSize(effectiveBlockSize)
          .addAllBlockSha256(hasher.blockHashes())
          .setFileSha256(ByteString.copyFrom(hasher.fileSha256.digest()))
          .setFileMd5(ByteString.copyFrom(hasher.fileMd5.digest()))
          .build());
    }
  }

  /** One file's hashing: the batches, their buffers and the digests they feed. */
  private static final class Hasher {
    private final FileChannel channel;
    private final Path file;
    private final long size;
    private final int blockSize;
    private final Executor workers;
    private final int parallelism;
    private final int blocksPerBatch;
    private final byte[][] blockHashes;
    final MessageDigest fileSha256 = Hashing.newSha256();
    final MessageDigest fileMd5 = Hashing.newMd5();

    Hasher(FileChannel channel, Path file, long size, int blockSize, int blockCount,
        Executor workers, int parallelism) {
      this.channel = channel;
      this.file = file;
      this.size = size;
      this.blockSize = blockSize;
      this.workers = workers;
      this.parallelism = parallelism;
      this.blocksPerBatch = (int) Math.min(blockCount, Math.max(1, BATCH_BYTES / blockSize));
      this.blockHashes = new byte[blockCount][];
    }

    List<ByteString> blockHashes() {
      List<ByteString> hashes = new ArrayList<>(blockHashes.length);
      for (byte[] hash : blockHashes) {
        hashes.add(ByteString.copyFrom(hash));
      }
      return hashes;
    }

    void run(Progress progress) throws IOException {
      byte[] current = new byte[blocksPerBatch * blockSize];
      byte[] next = new byte[current.length];
      long position = 0;
      int length = read(current, position);
      while (length > 0) {
        List<FutureTask<Void>> tasks = hash(current, length, (int) (position / blockSize));
        long nextPosition = position + length;
        int nextLength = read(next, nextPosition); // while the workers hash this batch
        await(tasks);
        progress.hashed(nextPosition, size);
        byte[] done = current;
        current = next;
        next = done;
        position = nextPosition;
        length = nextLength;
      }
    }

    /** Reads the batch at {@code position} into {@code buffer}; its length, 0 past the end. */
    private int read(byte[] buffer, long position) throws IOException {
      int length = (int) Math.min(buffer.length, size - position);
      ByteBuffer target = ByteBuffer.wrap(buffer, 0, length);
      while (target.hasRemaining()) {
        if (channel.read(target, position + target.position()) < 0) {
          throw new IOException(file + " shrank while it was being hashed");
        }
      }
      return length;
    }

    /** Starts the work on one batch: the two file digests, and the blocks in slices. */
    private List<FutureTask<Void>> hash(byte[] batch, int length, int firstBlock) {
      List<FutureTask<Void>> tasks = new ArrayList<>();
      tasks.add(task(() -> fileSha256.update(batch, 0, length)));
      tasks.add(task(() -> fileMd5.update(batch, 0, length)));
      int blocks = (length + blockSize - 1) / blockSize;
      int slices = Math.min(blocks, parallelism);
      for (int slice = 0; slice < slices; slice++) {
        int from = blocks * slice / slices;
        int to = blocks * (slice + 1) / slices;
        tasks.add(task(() -> {
          MessageDigest sha256 = Hashing.newSha256();
          for (int b = from; b < to; b++) {
            int offset = b * blockSize;
            sha256.update(batch, offset, Math.min(blockSize, length - offset));
            blockHashes[firstBlock + b] = sha256.digest();
          }
        }));
      }
      return tasks;
    }

    private FutureTask<Void> task(Runnable work) {
      FutureTask<Void> task = new FutureTask<>(work, null);
      workers.execute(task);
      return task;
    }

    /** Waits for every task; the first failure is rethrown, the rest are cancelled. */
    private static void await(List<FutureTask<Void>> tasks) {
      try {
        for (FutureTask<Void> task : tasks) {
          task.get();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        tasks.forEach(task -> task.cancel(false));
        throw new IllegalStateException("interrupted while hashing", e);
      } catch (ExecutionException e) {
        tasks.forEach(task -> task.cancel(false));
        if (e.getCause() instanceof RuntimeException runtime) {
          throw runtime;
        }
        throw new IllegalStateException("hashing failed", e.getCause());
      }
    }
  }
}
