package io.minibit.core.store;

import static io.minibit.core.testing.MinibitAssertions.assertFailsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.minibit.core.Bitfield;
import io.minibit.core.ErrorCode;
import io.minibit.core.Torrent;
import io.minibit.core.store.BlockStore.WriteResult;
import io.minibit.core.testing.TestFiles;
import io.minibit.core.testing.TestFiles.SharedFile;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockStoreTest {
  private static final int BLOCK = Torrent.MIN_BLOCK_SIZE;
  private static final String NAME = "data.bin";

  @TempDir Path base;

  /** Six blocks, the last one half full. */
  private SharedFile source;
  private Torrent torrent;
  private Path downloads;
  private final List<BlockStore> opened = new ArrayList<>();

  @BeforeEach
  void shareSource() throws IOException {
    source = TestFiles.share(base.resolve("seed"), NAME, 5 * BLOCK + BLOCK / 2, BLOCK, 42);
    torrent = source.torrent();
    downloads = Files.createDirectories(base.resolve("downloads"));
  }

  @AfterEach
  void closeStores() throws IOException {
    for (BlockStore store : opened) {
      store.close();
    }
  }

  private BlockStore open() throws IOException {
    BlockStore store = BlockStore.openPartial(torrent, downloads);
    opened.add(store);
    return store;
  }

  private Path part() {
    return downloads.resolve(NAME + "." + torrent.infoHash().hex().substring(0, 16) + ".part");
  }

  private Path bitfieldFile() {
    return downloads.resolve(NAME + "." + torrent.infoHash().hex().substring(0, 16)
        + ".part.bitfield");
  }

  private void finishAll(BlockStore store) throws IOException {
    writeBlocks(store, IntStream.range(0, torrent.blockCount()).toArray());
    store.finish();
  }

  private void writeBlocks(BlockStore store, int... indices) throws IOException {
    for (int index : indices) {
      byte[] block = source.block(index);
      assertEquals(WriteResult.STORED, store.write(index, block, block.length), "block " + index);
    }
  }

  private static List<Integer> held(BlockStore store) {
    return store.bitfield().setBits().boxed().toList();
  }

  private static void overwrite(Path file, long position, byte[] bytes) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(position);
      raf.write(bytes);
    }
  }

  @Test
  void newDownloadStartsEmptyBesideItsPartFiles() throws IOException {
    BlockStore store = open();

    assertEquals(0, store.haveCount());
    assertEquals(0, store.resumedBlocks());
    assertFalse(store.isComplete());
    assertFalse(store.isFinished());
    assertEquals(downloads.resolve(NAME), store.finalPath());
    assertEquals(part(), BlockStore.partPath(downloads, torrent));
    assertEquals(bitfieldFile(), BlockStore.bitfieldPath(downloads, torrent));
    assertTrue(Files.exists(part()));
    assertTrue(Files.exists(bitfieldFile()));
    assertFalse(Files.exists(downloads.resolve(NAME)));
  }

  @Test
  void blocksWrittenOutOfOrderReadBackAsSent() throws IOException {
    BlockStore store = open();

    writeBlocks(store, 3, 0, 5, 1);

    assertEquals(List.of(0, 1, 3, 5), held(store));
    for (int index : new int[] {0, 1, 3, 5}) {
      assertArrayEquals(source.block(index), store.read(index), "block " + index);
    }
    assertEquals(BLOCK / 2, store.read(5).length);
  }

  @Test
  void bitfieldFileHoldsTheWireFormOfTheHeldBlocks() throws IOException {
    BlockStore store = open();

    writeBlocks(store, 0, 2, 5);

    assertArrayEquals(new byte[] {(byte) 0b1010_0100}, Files.readAllBytes(bitfieldFile()));
  }

  @Test
  void corruptBlockIsRefusedAndNotMarked() throws IOException {
    BlockStore store = open();
    byte[] flipped = source.block(2);
    flipped[100] ^= 1;
    byte[] shortened = Arrays.copyOf(source.block(2), BLOCK - 1);
    byte[] lastPadded = Arrays.copyOf(source.block(5), BLOCK);

    assertEquals(WriteResult.CORRUPT, store.write(2, flipped, flipped.length));
    assertEquals(WriteResult.CORRUPT, store.write(2, shortened, shortened.length));
    assertEquals(WriteResult.CORRUPT, store.write(5, lastPadded, lastPadded.length));
    assertEquals(WriteResult.CORRUPT, store.write(1, source.block(2), BLOCK));

    assertEquals(0, store.haveCount());
    assertFailsWith(ErrorCode.FAILED_PRECONDITION, () -> store.read(2));
    assertArrayEquals(new byte[1], Files.readAllBytes(bitfieldFile()));
  }

  @Test
  void secondCopyOfABlockIsADuplicate() throws IOException {
    BlockStore store = open();
    writeBlocks(store, 4);
    byte[] block = source.block(4);

    assertEquals(WriteResult.DUPLICATE, store.write(4, block, block.length));
    assertEquals(1, store.haveCount());
  }

  @Test
  void readOfABlockNotHeldIsAFailedPrecondition() throws IOException {
    BlockStore store = open();
    writeBlocks(store, 0);

    assertFailsWith(ErrorCode.FAILED_PRECONDITION, () -> store.read(1));
  }

  @Test
  void indexOutsideTheTorrentIsOutOfRange() throws IOException {
    BlockStore store = open();

    assertFailsWith(ErrorCode.OUT_OF_RANGE, () -> store.read(6));
    assertFailsWith(ErrorCode.OUT_OF_RANGE, () -> store.read(-1));
    assertFailsWith(ErrorCode.OUT_OF_RANGE, () -> store.write(6, new byte[BLOCK], BLOCK));
  }

  @Test
  void finishRenamesThePartFileAndRemovesTheBitfield() throws IOException {
    BlockStore store = open();
    writeBlocks(store, 5, 4, 3, 2, 1, 0);

    Path done = store.finish();

    assertEquals(downloads.resolve(NAME), done);
    assertArrayEquals(source.content(), Files.readAllBytes(done));
    assertFalse(Files.exists(part()));
    assertFalse(Files.exists(bitfieldFile()));
    assertTrue(store.isFinished());
    assertArrayEquals(source.block(3), store.read(3), "a finished store keeps serving");
    assertEquals(WriteResult.DUPLICATE, store.write(3, source.block(3), BLOCK));
    assertEquals(done, store.finish(), "finishing again is harmless");
  }

  @Test
  void readsThatRaceTheFinishAllSucceed() throws Exception {
    // A peer serves the blocks of a download while it finishes: a block read at the moment the
    // part file takes its final name must still be read, not fail the call that asked for it.
    ExecutorService reader = Executors.newSingleThreadExecutor();
    try {
      for (int round = 0; round < 30; round++) {
        BlockStore store = open();
        writeBlocks(store, IntStream.range(0, torrent.blockCount()).toArray());
        CountDownLatch reading = new CountDownLatch(1);
        AtomicBoolean finished = new AtomicBoolean();
        Future<Integer> reads = reader.submit(() -> {
          int count = 0;
          reading.countDown();
          while (!finished.get() || count < 100) {
            int index = count % torrent.blockCount();
            assertArrayEquals(source.block(index), store.read(index), "block " + index);
            count++;
          }
          return count;
        });
        assertTrue(reading.await(10, TimeUnit.SECONDS));
        store.finish();
        finished.set(true);
        assertTrue(reads.get(10, TimeUnit.SECONDS) >= 100, "round " + round);
        store.delete();
      }
    } finally {
      reader.shutdownNow();
    }
  }

  @Test
  void twoTorrentsOfOneNameKeepTheirPartFilesApartAndTheSecondDoesNotReplaceTheFirst()
      throws IOException {
    SharedFile other = TestFiles.share(base.resolve("other"), NAME, 4 * BLOCK, BLOCK, 7);
    BlockStore first = open();
    BlockStore second = BlockStore.openPartial(other.torrent(), downloads);
    opened.add(second);
    assertFalse(BlockStore.partPath(downloads, other.torrent()).equals(part()));

    for (int i = 0; i < 4; i++) { // interleaved, at the same offsets
      writeBlocks(first, i);
      assertEquals(WriteResult.STORED, second.write(i, other.block(i), BLOCK));
    }
    writeBlocks(first, 4, 5);
    first.finish();
    var taken = assertFailsWith(ErrorCode.FAILED_PRECONDITION, second::finish);

    assertTrue(taken.getMessage().contains("is not replaced"), taken.getMessage());
    assertArrayEquals(source.content(), Files.readAllBytes(downloads.resolve(NAME)));
    assertTrue(Files.exists(BlockStore.partPath(downloads, other.torrent())), "kept to retry");
    assertFalse(second.isFinished());
    Files.move(downloads.resolve(NAME), base.resolve("moved-away"));
    assertArrayEquals(other.content(), Files.readAllBytes(second.finish()));
  }

  @Test
  void finishNeverReplacesAFileThatAppearedUnderTheName() throws IOException {
    BlockStore store = open();
    writeBlocks(store, 0, 1, 2, 3, 4, 5);
    Files.writeString(downloads.resolve(NAME), "someone else's");

    assertFailsWith(ErrorCode.FAILED_PRECONDITION, store::finish);

    assertEquals("someone else's", Files.readString(downloads.resolve(NAME)));
    assertTrue(Files.exists(part()));
    assertTrue(Files.exists(bitfieldFile()));
    assertFalse(store.isFinished());
  }

  @Test
  void aSymbolicLinkInPlaceOfAPartFileIsRefusedNotFollowed() throws IOException {
    Path elsewhere = Files.writeString(base.resolve("elsewhere.txt"), "precious");
    Files.createSymbolicLink(part(), elsewhere);

    var refused = assertFailsWith(ErrorCode.FAILED_PRECONDITION, this::open);

    assertTrue(refused.getMessage().contains("symbolic link"), refused.getMessage());
    assertEquals("precious", Files.readString(elsewhere));
    Files.delete(part());
    Files.createSymbolicLink(bitfieldFile(), elsewhere);
    assertFailsWith(ErrorCode.FAILED_PRECONDITION, this::open);
    assertEquals("precious", Files.readString(elsewhere));
  }

  @Test
  void reverifyKeepsTheBlocksThatStillMatchAndGivesTheNameBackOnceRepaired() throws IOException {
    finishAll(open());
    overwrite(downloads.resolve(NAME), torrent.blockOffset(2) + 7,
        new byte[] {(byte) ~source.block(2)[7]});

    BlockStore repaired = BlockStore.reverify(torrent, downloads);
    opened.add(repaired);
    assertEquals(List.of(), held(repaired), "nothing is held before it is checked");
    assertEquals(6, repaired.uncheckedBlocks());
    assertEquals(5, repaired.check());

    assertFalse(Files.exists(downloads.resolve(NAME)), "a changed file loses its name meanwhile");
    assertEquals(List.of(0, 1, 3, 4, 5), held(repaired));
    assertEquals(0, repaired.uncheckedBlocks());
    assertEquals(5, repaired.resumedBlocks());
    writeBlocks(repaired, 2);
    assertArrayEquals(source.content(), Files.readAllBytes(repaired.finish()));
    assertFalse(Files.exists(part()));
    assertFalse(Files.exists(bitfieldFile()));
  }

  @Test
  void reverifyOfAFileCutShortKeepsItsWholeBlocks() throws IOException {
    finishAll(open());
    try (var channel = java.nio.channels.FileChannel.open(downloads.resolve(NAME),
        java.nio.file.StandardOpenOption.WRITE)) {
      channel.truncate(3 * BLOCK + 10);
    }

    BlockStore repaired = BlockStore.reverify(torrent, downloads);
    opened.add(repaired);
    repaired.check();

    assertEquals(List.of(0, 1, 2), held(repaired));
  }

  @Test
  void aCheckCutShortByCloseLeavesTheSavedBitfieldAsItWas() throws IOException {
    BlockStore store = open();
    writeBlocks(store, 0, 1, 2, 3);
    store.close();
    byte[] saved = Files.readAllBytes(bitfieldFile());

    BlockStore reopened = BlockStore.openUnchecked(torrent, downloads);
    reopened.close(); // the transfer was removed while its blocks waited to be checked
    assertThrows(java.nio.channels.ClosedChannelException.class, reopened::check);
    assertArrayEquals(saved, Files.readAllBytes(bitfieldFile()));
  }

  @Test
  void aCrashBetweenTheTwoNamesOfFinishLeavesOneFileThatIsCleared() throws IOException {
    BlockStore store = open();
    writeBlocks(store, 0, 1, 2, 3, 4, 5);
    store.close();
    // what finish leaves if it dies after linking the final name, before unlinking the part
    Files.createLink(downloads.resolve(NAME), part());

    BlockStore.clearFinishLeftovers(downloads, torrent);

    assertFalse(Files.exists(part()));
    assertFalse(Files.exists(bitfieldFile()));
    assertArrayEquals(source.content(), Files.readAllBytes(downloads.resolve(NAME)));
  }

  @Test
  void clearingLeftoversKeepsAPartFileThatIsNotTheFinishedFile() throws IOException {
    BlockStore store = open();
    writeBlocks(store, 0);
    store.close();
    Files.write(downloads.resolve(NAME), source.content());

    BlockStore.clearFinishLeftovers(downloads, torrent);

    assertTrue(Files.exists(part()));
    assertTrue(Files.exists(bitfieldFile()));
  }

  @Test
  void aPartFileOfTheOldNamingIsTakenOverAndRehashed() throws IOException {
    Path legacy = downloads.resolve(NAME + ".part");
    byte[] content = Arrays.copyOf(source.content(), source.content().length);
    content[Math.toIntExact(torrent.blockOffset(4))] ^= 1; // another torrent wrote block 4
    Files.write(legacy, content);
    Files.write(downloads.resolve(NAME + ".part.bitfield"),
        Bitfield.full(torrent.blockCount()).toBytes());

    BlockStore.adoptLegacyPart(downloads, torrent);
    BlockStore store = open();

    assertFalse(Files.exists(legacy));
    assertEquals(List.of(0, 1, 2, 3, 5), held(store));
  }

  @Test
  void finishWithBlocksMissingIsAFailedPrecondition() throws IOException {
    BlockStore store = open();
    writeBlocks(store, 0, 1, 2, 3, 4);

    assertFailsWith(ErrorCode.FAILED_PRECONDITION, store::finish);

    assertTrue(Files.exists(part()));
    assertFalse(Files.exists(downloads.resolve(NAME)));
    assertFalse(store.isFinished());
  }

  @Test
  void reopenedDownloadResumesWithTheBlocksItHad() throws IOException {
    BlockStore first = open();
    writeBlocks(first, 1, 3, 4);
    first.close();

    BlockStore second = open();

    assertEquals(List.of(1, 3, 4), held(second));
    assertEquals(3, second.resumedBlocks());
    assertArrayEquals(source.block(3), second.read(3));
    writeBlocks(second, 0, 2, 5);
    assertArrayEquals(source.content(), Files.readAllBytes(second.finish()));
  }

  @Test
  void blockCorruptedOnDiskAfterACrashIsDroppedOnReopen() throws IOException {
    BlockStore first = open();
    writeBlocks(first, 0, 1, 2);
    first.close();
    overwrite(part(), torrent.blockOffset(1) + 500, new byte[] {(byte) ~source.block(1)[500]});

    BlockStore second = open();

    assertEquals(List.of(0, 2), held(second));
    assertEquals(2, second.resumedBlocks());
    assertArrayEquals(new byte[] {(byte) 0b1010_0000}, Files.readAllBytes(bitfieldFile()),
        "the bitfield on disk is corrected too");
  }

  @Test
  void bitSetForABlockNeverWrittenIsDroppedOnReopen() throws IOException {
    BlockStore first = open();
    writeBlocks(first, 0, 3);
    first.close();
    // block 1 lies in a hole of the part file, block 5 past its end
    overwrite(bitfieldFile(), 0, new byte[] {(byte) 0b1101_0100});

    BlockStore second = open();

    assertEquals(List.of(0, 3), held(second));
    assertEquals(2, second.resumedBlocks());
  }

  @Test
  void truncatedBitfieldFileMeansStartingOver() throws IOException {
    BlockStore first = open();
    writeBlocks(first, 0, 1);
    first.close();
    Files.write(bitfieldFile(), new byte[0]);

    BlockStore second = open();

    assertEquals(0, second.haveCount());
    writeBlocks(second, 0, 1, 2, 3, 4, 5);
    assertArrayEquals(source.content(), Files.readAllBytes(second.finish()));
  }

  @Test
  void garbageBitfieldFileMeansStartingOver() throws IOException {
    open().close();
    Files.write(bitfieldFile(), new byte[] {(byte) 0xff}); // sets spare bits 6 and 7

    assertEquals(0, open().haveCount());

    Files.write(bitfieldFile(), TestFiles.randomBytes(1000, 5)); // far too long
    BlockStore store = open();

    assertEquals(0, store.haveCount());
    assertEquals(1, Files.size(bitfieldFile()), "rewritten at its proper length");
  }

  @Test
  void partFileLeftLongerThanTheTorrentIsCutToSize() throws IOException {
    byte[] tooLong = Arrays.copyOf(source.content(), source.content().length + 3 * BLOCK);
    Arrays.fill(tooLong, source.content().length, tooLong.length, (byte) 0x5a);
    Files.write(part(), tooLong);
    Files.write(bitfieldFile(), Bitfield.full(torrent.blockCount()).toBytes());

    BlockStore store = open();

    assertEquals(6, store.resumedBlocks());
    assertArrayEquals(source.content(), Files.readAllBytes(store.finish()));
  }

  @Test
  void prefixHasherFollowsOnlyTheContiguousVerifiedBlocks() throws IOException {
    BlockStore store = open();

    writeBlocks(store, 1, 2);
    store.hashVerifiedPrefix();
    assertEquals(0, store.hashedPrefix());

    writeBlocks(store, 0);
    store.hashVerifiedPrefix();
    assertEquals(3, store.hashedPrefix());

    writeBlocks(store, 4, 5);
    store.hashVerifiedPrefix();
    assertEquals(3, store.hashedPrefix());

    writeBlocks(store, 3);
    store.hashVerifiedPrefix();
    assertEquals(6, store.hashedPrefix());
    store.hashVerifiedPrefix();
    assertEquals(6, store.hashedPrefix());
    assertArrayEquals(source.content(), Files.readAllBytes(store.finish()));
  }

  @Test
  void eachWholeFileDigestIsFedOnItsOwnFromAThreadOfItsOwn() throws Exception {
    BlockStore store = open();
    assertEquals(2, BlockStore.wholeFileDigests());
    writeBlocks(store, 0, 1, 2);
    store.hashVerifiedPrefix(0);
    assertEquals(0, store.hashedPrefix(), "the other digest has read nothing yet");
    store.hashVerifiedPrefix(1);
    assertEquals(3, store.hashedPrefix());

    writeBlocks(store, 3, 4, 5);
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      List<Future<Void>> runs = new ArrayList<>();
      for (int digest = 0; digest < 2; digest++) {
        int lane = digest;
        runs.add(threads.submit((Callable<Void>) () -> {
          store.hashVerifiedPrefix(lane);
          return null;
        }));
      }
      for (Future<Void> run : runs) {
        run.get(10, TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdownNow();
    }
    assertEquals(6, store.hashedPrefix());
    // finish checks both digests against the manifest: fed in two halves, they still match
    assertArrayEquals(source.content(), Files.readAllBytes(store.finish()));
  }

  @Test
  void wholeFileMismatchIsDataLossAndKeepsThePartFile() throws IOException {
    byte[] wrongSha256 = torrent.manifest().getFileSha256().toByteArray();
    wrongSha256[0] ^= 1;
    // Every block hash is right; only the whole-file SHA-256 disagrees.
    torrent = Torrent.of(torrent.manifest().toBuilder()
        .setFileSha256(ByteString.copyFrom(wrongSha256)).build());
    BlockStore store = open();
    writeBlocks(store, 0, 1, 2, 3, 4, 5);

    assertFailsWith(ErrorCode.DATA_LOSS, store::finish);

    assertTrue(Files.exists(part()));
    assertTrue(Files.exists(bitfieldFile()));
    assertFalse(Files.exists(downloads.resolve(NAME)));
    assertFalse(store.isFinished());
    assertFailsWith(ErrorCode.DATA_LOSS, store::finish);
  }

  @Test
  void wholeFileMd5MismatchIsDataLoss() throws IOException {
    byte[] wrongMd5 = torrent.manifest().getFileMd5().toByteArray();
    wrongMd5[15] ^= 1;
    torrent = Torrent.of(torrent.manifest().toBuilder()
        .setFileMd5(ByteString.copyFrom(wrongMd5)).build());
    BlockStore store = open();
    writeBlocks(store, 0, 1, 2, 3, 4, 5);

    assertFailsWith(ErrorCode.DATA_LOSS, store::finish);
    assertTrue(Files.exists(part()));
  }

  @Test
  void openCompleteServesEveryBlockOfTheFile() throws IOException {
    BlockStore store = BlockStore.openComplete(torrent, source.path());
    opened.add(store);

    assertTrue(store.isComplete());
    assertTrue(store.isFinished());
    assertEquals(6, store.haveCount());
    for (int i = 0; i < 6; i++) {
      assertArrayEquals(source.block(i), store.read(i));
    }
    assertEquals(source.path(), store.finish());
  }

  @Test
  void openCompleteRefusesAFileOfTheWrongSize() throws IOException {
    Path shorter = Files.write(base.resolve("short.bin"),
        Arrays.copyOf(source.content(), source.content().length - 1));

    assertFailsWith(ErrorCode.FAILED_PRECONDITION, () -> BlockStore.openComplete(torrent, shorter));
  }

  @Test
  void deleteRemovesAPartialDownload() throws IOException {
    BlockStore store = open();
    writeBlocks(store, 0);

    store.delete();

    assertFalse(Files.exists(part()));
    assertFalse(Files.exists(bitfieldFile()));
  }

  @Test
  void deleteRemovesAFinishedDownload() throws IOException {
    BlockStore store = open();
    writeBlocks(store, 0, 1, 2, 3, 4, 5);
    Path done = store.finish();

    store.delete();

    assertFalse(Files.exists(done));
    try (var files = Files.list(downloads)) {
      assertEquals(List.of(), files.toList());
    }
  }

  @Test
  void concurrentWritersStoreEachBlockOnceAndPersistEveryBit() throws Exception {
    BlockStore store = open();
    int writers = 8;
    List<Callable<List<WriteResult>>> tasks = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      tasks.add(() -> {
        List<WriteResult> results = new ArrayList<>();
        for (int i = 0; i < torrent.blockCount(); i++) {
          results.add(store.write(i, source.block(i), torrent.blockLength(i)));
        }
        return results;
      });
    }
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    List<WriteResult> results = new ArrayList<>();
    try {
      for (Future<List<WriteResult>> future : pool.invokeAll(tasks, 30, TimeUnit.SECONDS)) {
        results.addAll(future.get());
      }
    } finally {
      pool.shutdownNow();
    }

    assertEquals(torrent.blockCount(),
        results.stream().filter(r -> r == WriteResult.STORED).count());
    assertTrue(store.isComplete());
    store.close();
    assertEquals(IntStream.range(0, 6).boxed().toList(), held(open()));
  }

  @Test
  void blocksArrivingInPartsLandWholeWhileOthersAreWrittenAtOnce() throws Exception {
    BlockStore store = open();
    // Each block in uneven parts, direct and heap buffers by turns, each part a slice with a
    // position of its own, as the network leaves them; one writer per block, all at once.
    List<Callable<WriteResult>> writes = new ArrayList<>();
    List<ByteBuffer[]> given = new ArrayList<>();
    for (int index = 0; index < torrent.blockCount(); index++) {
      byte[] block = source.block(index);
      int length = torrent.blockLength(index);
      List<ByteBuffer> parts = new ArrayList<>();
      for (int at = 0, size = 1000 + index; at < length; at += size, size = size * 3 / 2) {
        int n = Math.min(size, length - at);
        ByteBuffer part = parts.size() % 2 == 0 ? ByteBuffer.allocateDirect(n + 7)
            : ByteBuffer.allocate(n + 7);
        part.position(7);
        part.put(block, at, n).position(7);
        parts.add(part);
      }
      ByteBuffer[] array = parts.toArray(ByteBuffer[]::new);
      given.add(array);
      int which = index;
      writes.add(() -> store.write(which, array));
    }
    ExecutorService pool = Executors.newFixedThreadPool(writes.size());
    try {
      for (Future<WriteResult> result : pool.invokeAll(writes, 30, TimeUnit.SECONDS)) {
        assertEquals(WriteResult.STORED, result.get());
      }
    } finally {
      pool.shutdownNow();
    }

    for (int index = 0; index < torrent.blockCount(); index++) {
      assertArrayEquals(source.block(index), store.read(index), "block " + index);
      for (ByteBuffer part : given.get(index)) {
        assertEquals(7, part.position(), "a part's position is left as it was");
      }
    }
    store.finish();
    assertArrayEquals(Files.readAllBytes(base.resolve("seed").resolve(NAME)),
        Files.readAllBytes(downloads.resolve(NAME)));
  }
}
