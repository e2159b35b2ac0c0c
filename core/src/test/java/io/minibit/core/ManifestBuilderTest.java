package io.minibit.core;

import static io.minibit.core.testing.MinibitAssertions.assertFailsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.api.v2.Manifest;
import io.minibit.core.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestBuilderTest {
  private static final int BLOCK = Torrent.MIN_BLOCK_SIZE;

  @TempDir Path dir;

  /** Checks every hash of {@code torrent} against digests computed here from {@code content}. */
  private static void assertHashesOf(byte[] content, Torrent torrent) throws Exception {
    Manifest manifest = torrent.manifest();
    int blockSize = manifest.getBlockSize();
    int expectedBlocks = (content.length + blockSize - 1) / blockSize;
    assertEquals(content.length, manifest.getSize());
    assertEquals(expectedBlocks, manifest.getBlockSha256Count());
    for (int i = 0; i < expectedBlocks; i++) {
      byte[] block = Arrays.copyOfRange(content, i * blockSize,
          Math.min(content.length, (i + 1) * blockSize));
      assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(block),
          manifest.getBlockSha256(i).toByteArray(), "block " + i);
    }
    assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(content),
        manifest.getFileSha256().toByteArray());
    assertArrayEquals(MessageDigest.getInstance("MD5").digest(content),
        manifest.getFileMd5().toByteArray());
  }

  @Test
  void hashesEveryBlockAndAPartialLastOne() throws Exception {
    Path file = TestFiles.createFile(dir, "a.bin", 3 * BLOCK + 1234, 1);

    Torrent torrent = ManifestBuilder.build(file, "a.bin", BLOCK);

    assertEquals(4, torrent.blockCount());
    assertEquals(1234, torrent.blockLength(3));
    assertHashesOf(Files.readAllBytes(file), torrent);
  }

  @Test
  void fileOfExactlyOneBlock() throws Exception {
    Path file = TestFiles.createFile(dir, "one.bin", BLOCK, 2);

    Torrent torrent = ManifestBuilder.build(file, "one.bin", BLOCK);

    assertEquals(1, torrent.blockCount());
    assertEquals(BLOCK, torrent.blockLength(0));
    assertHashesOf(Files.readAllBytes(file), torrent);
  }

  @Test
  void fileSmallerThanABlock() throws Exception {
    Path file = TestFiles.createFile(dir, "tiny.bin", 1, 3);

    Torrent torrent = ManifestBuilder.build(file, "tiny.bin", BLOCK);

    assertEquals(1, torrent.blockCount());
    assertHashesOf(Files.readAllBytes(file), torrent);
  }

  @Test
  void fileOfAnExactMultipleOfTheBlockSize() throws Exception {
    Path file = TestFiles.createFile(dir, "four.bin", 4 * BLOCK, 4);

    Torrent torrent = ManifestBuilder.build(file, "four.bin", BLOCK);

    assertEquals(4, torrent.blockCount());
    assertEquals(BLOCK, torrent.blockLength(3));
    assertHashesOf(Files.readAllBytes(file), torrent);
  }

  @Test
  void zeroBlockSizeMeansTheDefault() throws Exception {
    Path file = TestFiles.createFile(dir, "d.bin", Torrent.DEFAULT_BLOCK_SIZE + 1, 5);

    Torrent torrent = ManifestBuilder.build(file, "d.bin", 0);

    assertEquals(Torrent.DEFAULT_BLOCK_SIZE, torrent.blockSize());
    assertEquals(2, torrent.blockCount());
    assertHashesOf(Files.readAllBytes(file), torrent);
  }

  @Test
  void nameIsTheOneGivenNotTheFileName() throws Exception {
    Path file = TestFiles.createFile(dir, "on-disk.bin", 10, 6);

    Torrent torrent = ManifestBuilder.build(file, "published.bin", BLOCK);

    assertEquals("published.bin", torrent.name());
  }

  @Test
  void sameContentGivesTheSameInfoHash() throws Exception {
    Path a = TestFiles.createFile(dir.resolve("a"), "x.bin", 5 * BLOCK, 7);
    Path b = TestFiles.createFile(dir.resolve("b"), "x.bin", 5 * BLOCK, 7);

    assertEquals(ManifestBuilder.build(a, "x.bin", BLOCK),
        ManifestBuilder.build(b, "x.bin", BLOCK));
  }

  @Test
  void hashingOnSeveralThreadsGivesTheSameManifestAndReportsEachBatch() throws Exception {
    // two whole batches and a partial third, whose last block is partial too
    int size = 2 * ManifestBuilder.BATCH_BYTES + 3 * BLOCK + 100;
    Path file = TestFiles.createFile(dir, "big.bin", size, 9);
    List<Long> reported = new ArrayList<>();
    ExecutorService workers = Executors.newFixedThreadPool(3);
    Torrent parallel;
    try {
      parallel = ManifestBuilder.build(file, "big.bin", BLOCK, workers, 3,
          (hashed, total) -> {
            assertEquals(size, total);
            reported.add(hashed);
          });
    } finally {
      workers.shutdownNow();
    }

    assertHashesOf(Files.readAllBytes(file), parallel);
    assertEquals(ManifestBuilder.build(file, "big.bin", BLOCK), parallel);
    long batch = ManifestBuilder.BATCH_BYTES;
    assertEquals(List.of(batch, 2 * batch, (long) size), reported);
  }

  @Test
  void progressThatThrowsStopsTheHashing() throws Exception {
    Path file = TestFiles.createFile(dir, "stop.bin", 3 * ManifestBuilder.BATCH_BYTES, 10);
    List<Long> reported = new ArrayList<>();
    ExecutorService workers = Executors.newFixedThreadPool(2);
    try {
      var stopped = assertThrows(CancellationException.class,
          () -> ManifestBuilder.build(file, "stop.bin", BLOCK, workers, 2, (hashed, total) -> {
            reported.add(hashed);
            throw new CancellationException("the caller went away");
          }));
      assertEquals("the caller went away", stopped.getMessage());
    } finally {
      workers.shutdownNow();
    }
    assertEquals(List.of((long) ManifestBuilder.BATCH_BYTES), reported, "no batch after the stop");
  }

  @Test
  void tooManyBlocksAreRefusedBeforeTheFileIsRead() throws Exception {
    Path file = dir.resolve("sparse.bin");
    try (var raf = new java.io.RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength((Torrent.MAX_BLOCKS + 1L) * BLOCK);
    }
    List<Long> reported = new ArrayList<>();

    var refused = assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> ManifestBuilder.build(file,
        "sparse.bin", BLOCK, Runnable::run, 1, (hashed, total) -> reported.add(hashed)));

    assertTrue(refused.getMessage().contains("use larger blocks"), refused.getMessage());
    assertEquals(List.of(), reported);
  }

  @Test
  void emptyFileIsRefused() throws Exception {
    Path file = Files.createFile(dir.resolve("empty.bin"));

    assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> ManifestBuilder.build(file, "empty.bin", 0));
  }

  @Test
  void blockSizeOutsideTheLimitsIsRefused() throws Exception {
    Path file = TestFiles.createFile(dir, "f.bin", 100, 8);

    assertFailsWith(ErrorCode.INVALID_ARGUMENT,
        () -> ManifestBuilder.build(file, "f.bin", BLOCK - 1));
    assertFailsWith(ErrorCode.INVALID_ARGUMENT,
        () -> ManifestBuilder.build(file, "f.bin", Torrent.MAX_BLOCK_SIZE + 1));
  }

  @Test
  void invalidNameIsRefused() throws Exception {
    Path file = TestFiles.createFile(dir, "f.bin", 100, 9);

    assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> ManifestBuilder.build(file, "../f.bin", 0));
  }
}
