package io.minibit.core;

import static io.minibit.core.testing.MinibitAssertions.assertFailsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.minibit.api.v2.Manifest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TorrentTest {
  private static final int KIB = 1024;
  private static final int MIB = 1024 * KIB;
  private static final long GIB = 1024L * MIB;

  /** 40 KiB in 16 KiB blocks: three blocks, the last one 8 KiB. The hashes are arbitrary bytes. */
  private static Manifest.Builder valid() {
    return Manifest.newBuilder()
        .setName("data.bin")
        .setSize(40 * KIB)
        .setBlockSize(16 * KIB)
        .addAllBlockSha256(hashes(3))
        .setFileSha256(filled(0x22, 32))
        .setFileMd5(filled(0x33, 16));
  }

  private static ByteString filled(int value, int length) {
    byte[] bytes = new byte[length];
    java.util.Arrays.fill(bytes, (byte) value);
    return ByteString.copyFrom(bytes);
  }

  /** {@code count} distinct 32-byte hashes. */
  private static List<ByteString> hashes(int count) {
    List<ByteString> hashes = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      hashes.add(ByteString.copyFrom(ByteBuffer.allocate(32).putInt(28, i + 1).array()));
    }
    return hashes;
  }

  /**
   * The canonical encoding, written from the layout documented in manifest.proto rather than
   * from Torrent's implementation of it.
   */
  private static byte[] documentedEncoding(Manifest m) {
    byte[] magic = "minibit-manifest-v1".getBytes(StandardCharsets.US_ASCII);
    byte[] name = m.getName().getBytes(StandardCharsets.UTF_8);
    int length = magic.length + 1 + 2 + name.length + 8 + 4 + 4
        + 32 * m.getBlockSha256Count() + 32 + 16;
    ByteBuffer out = ByteBuffer.allocate(length); // big-endian
    out.put(magic).put((byte) 0);
    out.putShort((short) name.length).put(name);
    out.putLong(m.getSize());
    out.putInt(m.getBlockSize());
    out.putInt(m.getBlockSha256Count());
    m.getBlockSha256List().forEach(hash -> out.put(hash.toByteArray()));
    out.put(m.getFileSha256().toByteArray());
    out.put(m.getFileMd5().toByteArray());
    assertFalse(out.hasRemaining());
    return out.array();
  }

  private static String sha256Hex(byte[] bytes) throws Exception {
    return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  @Test
  void validManifestRoundTripsThroughItsWireForm() throws Exception {
    Manifest original = valid().build();

    Torrent torrent = Torrent.of(Manifest.parseFrom(original.toByteArray()));

    assertEquals(original, torrent.manifest());
    assertEquals(Torrent.of(original), torrent);
    assertEquals(Torrent.of(original).infoHash(), torrent.infoHash());
    assertEquals("data.bin", torrent.name());
    assertEquals(40 * KIB, torrent.size());
    assertEquals(16 * KIB, torrent.blockSize());
    assertEquals(3, torrent.blockCount());
  }

  static Stream<Manifest> manifestsToEncode() {
    return Stream.of(
        valid().build(),
        valid().setName("größe ünd 文件.iso").build(),
        valid().setName("n".repeat(Validation.MAX_TORRENT_NAME_BYTES)).build(),
        // a size above 2^32 and a block size above 2^16, so every byte of both integers counts
        Manifest.newBuilder().setName("big").setSize(4 * GIB + 5).setBlockSize(4 * MIB)
            .addAllBlockSha256(hashes(1025)).setFileSha256(filled(1, 32))
            .setFileMd5(filled(2, 16)).build());
  }

  @ParameterizedTest
  @MethodSource("manifestsToEncode")
  void infoHashIsSha256OfTheDocumentedEncoding(Manifest manifest) throws Exception {
    assertEquals(sha256Hex(documentedEncoding(manifest)), Torrent.of(manifest).infoHash().hex());
  }

  @Test
  void infoHashMatchesAVectorHashedOutsideJava() {
    // The 152 bytes were written with printf and hashed with sha256sum:
    //   name "é" (c3 a9), size 0x010203, block_size 0x10000, blocks 0x11.. and 0x12..,
    //   file_sha256 0x22.., file_md5 0x33..
    Manifest manifest = Manifest.newBuilder()
        .setName("\u00e9")
        .setSize(0x010203)
        .setBlockSize(0x10000)
        .addBlockSha256(filled(0x11, 32))
        .addBlockSha256(filled(0x12, 32))
        .setFileSha256(filled(0x22, 32))
        .setFileMd5(filled(0x33, 16))
        .build();

    assertEquals("74fced0db6cb5dbda4c46895052522227bd9050a6bd2ccca5cf8b4d228b7d21b",
        Torrent.of(manifest).infoHash().hex());
  }

  @Test
  void changingAnyFieldChangesTheInfoHash() {
    Map<String, UnaryOperator<Manifest.Builder>> changes = Map.of(
        "name", b -> b.setName("data.bim"),
        "size", b -> b.setSize(40 * KIB - 1),
        "block_size", b -> b.setBlockSize(32 * KIB).clearBlockSha256().addAllBlockSha256(hashes(2)),
        "a block hash", b -> b.setBlockSha256(2, filled(0x44, 32)),
        "block order", b -> {
          ByteString first = b.getBlockSha256(0);
          return b.setBlockSha256(0, b.getBlockSha256(1)).setBlockSha256(1, first);
        },
        "file_sha256", b -> b.setFileSha256(filled(0x23, 32)),
        "file_md5", b -> b.setFileMd5(filled(0x34, 16)));
    InfoHash original = Torrent.of(valid().build()).infoHash();
    Set<InfoHash> seen = new HashSet<>(Set.of(original));

    changes.forEach((field, change) -> {
      InfoHash changed = Torrent.of(change.apply(valid()).build()).infoHash();
      assertTrue(seen.add(changed), () -> "changing " + field + " left the infohash as it was");
    });
  }

  private static Arguments refused(String what, Manifest.Builder manifest, String field) {
    return Arguments.of(what, manifest, field);
  }

  static Stream<Arguments> malformedManifests() {
    return Stream.of(
        refused("empty name", valid().setName(""), "name"),
        refused("name '.'", valid().setName("."), "name"),
        refused("name '..'", valid().setName(".."), "name"),
        refused("name with '/'", valid().setName("a/b"), "name"),
        refused("name with '\\'", valid().setName("a\\b"), "name"),
        refused("name with NUL", valid().setName("a\0b"), "name"),
        refused("name with a control character", valid().setName("a\u001bb"), "name"),
        refused("name with DEL", valid().setName("a\u007fb"), "name"),
        refused("name of 226 UTF-8 bytes in 113 characters (a part file's name adds 31)",
            valid().setName("\u00e9".repeat(113)), "name"),
        refused("name of a part file", valid().setName("data.bin.part"), "name"),
        refused("name of a part file's bitfield", valid().setName("d.part.bitfield"), "name"),
        refused("size 0", valid().setSize(0).clearBlockSha256(), "size"),
        refused("size above 2^63 (uint64)", valid().setSize(-1), "size"),
        refused("block size below 16 KiB", valid().setBlockSize(16 * KIB - 1), "block_size"),
        refused("block size 0", valid().setBlockSize(0), "block_size"),
        refused("block size above 4 MiB", valid().setBlockSize(4 * MIB + 1), "block_size"),
        refused("block size above 2^31 (uint32)", valid().setBlockSize(-16 * KIB), "block_size"),
        refused("one block hash too few",
            valid().clearBlockSha256().addAllBlockSha256(hashes(2)), "block_sha256"),
        refused("one block hash too many",
            valid().addBlockSha256(filled(9, 32)), "block_sha256"),
        refused("a block hash of 31 bytes",
            valid().setBlockSha256(1, filled(9, 31)), "block_sha256[1]"),
        refused("a block hash of 33 bytes",
            valid().setBlockSha256(2, filled(9, 33)), "block_sha256[2]"),
        refused("file_sha256 missing", valid().clearFileSha256(), "file_sha256"),
        refused("file_sha256 of 31 bytes", valid().setFileSha256(filled(9, 31)), "file_sha256"),
        refused("file_md5 missing", valid().clearFileMd5(), "file_md5"),
        refused("file_md5 of 32 bytes", valid().setFileMd5(filled(9, 32)), "file_md5"),
        refused("65537 blocks", valid().setSize(65_537L * 16 * KIB)
            .clearBlockSha256().addAllBlockSha256(hashes(65_537)), "block_size"),
        refused("a size whose block count overflows a long", valid().setSize(Long.MAX_VALUE),
            "block_size"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedManifests")
  void malformedManifestIsRefusedNamingTheField(String what, Manifest.Builder manifest,
      String field) {
    MinibitException e = assertFailsWith(ErrorCode.INVALID_ARGUMENT,
        () -> Torrent.of(manifest.build()));

    assertTrue(e.getMessage().contains(field),
        () -> "'" + e.getMessage() + "' does not name " + field);
  }

  @Test
  void limitsThemselvesAreAccepted() {
    Torrent.of(valid().setName("\u00e9".repeat(112)).build()); // 224 bytes, the most
    Torrent.of(valid().setBlockSize(Torrent.MIN_BLOCK_SIZE).build());
    Torrent.of(valid().setBlockSize(Torrent.MAX_BLOCK_SIZE).clearBlockSha256()
        .addAllBlockSha256(hashes(1)).build());
    Torrent maxBlocks = Torrent.of(valid().setSize(65_536L * 16 * KIB).clearBlockSha256()
        .addAllBlockSha256(hashes(65_536)).build());
    assertEquals(Torrent.MAX_BLOCKS, maxBlocks.blockCount());
  }

  @Test
  void ofWithExpectedInfoHashAcceptsTheRightOneAndRefusesAnother() {
    Manifest manifest = valid().build();
    InfoHash right = Torrent.of(manifest).infoHash();
    InfoHash wrong = Torrent.of(valid().setName("other").build()).infoHash();

    assertEquals(right, Torrent.of(manifest, right).infoHash());
    MinibitException e = assertFailsWith(ErrorCode.INVALID_ARGUMENT,
        () -> Torrent.of(manifest, wrong));
    assertTrue(e.getMessage().contains(wrong.hex()), e.getMessage());
  }

  @Test
  void blocksAreFullExceptAPartialLastOne() {
    Torrent torrent = Torrent.of(valid().build());

    assertEquals(List.of(0L, 16L * KIB, 32L * KIB),
        List.of(torrent.blockOffset(0), torrent.blockOffset(1), torrent.blockOffset(2)));
    assertEquals(List.of(16 * KIB, 16 * KIB, 8 * KIB),
        List.of(torrent.blockLength(0), torrent.blockLength(1), torrent.blockLength(2)));
  }

  @Test
  void lastBlockIsFullWhenTheSizeIsAMultipleOfTheBlockSize() {
    Torrent torrent = Torrent.of(valid().setSize(48 * KIB).build());

    assertEquals(3, torrent.blockCount());
    assertEquals(16 * KIB, torrent.blockLength(2));
  }

  @Test
  void blockOffsetsBeyond2GiBDoNotOverflow() {
    Torrent torrent = Torrent.of(Manifest.newBuilder().setName("big").setSize(4 * GIB + 5)
        .setBlockSize(4 * MIB).addAllBlockSha256(hashes(1025)).setFileSha256(filled(1, 32))
        .setFileMd5(filled(2, 16)).build());

    assertEquals(4 * GIB, torrent.blockOffset(1024));
    assertEquals(5, torrent.blockLength(1024));
  }

  @Test
  void indexOutsideTheBlocksIsOutOfRange() {
    Torrent torrent = Torrent.of(valid().build());

    for (long index : new long[] {-1, 3, Integer.MAX_VALUE + 1L}) {
      assertFailsWith(ErrorCode.OUT_OF_RANGE, () -> torrent.checkIndex(index));
    }
    assertFailsWith(ErrorCode.OUT_OF_RANGE, () -> torrent.blockLength(3));
    assertFailsWith(ErrorCode.OUT_OF_RANGE, () -> torrent.blockOffset(-1));
    assertFailsWith(ErrorCode.OUT_OF_RANGE, () -> torrent.isValidBlock(3, new byte[0], 0));
    torrent.checkIndex(0);
    torrent.checkIndex(2);
  }

  @Test
  void isValidBlockChecksLengthAndHash() {
    byte[] last = new byte[8 * KIB];
    last[0] = 7;
    Torrent torrent = Torrent.of(
        valid().setBlockSha256(2, ByteString.copyFrom(Hashing.sha256(last))).build());
    byte[] padded = java.util.Arrays.copyOf(last, 16 * KIB);
    byte[] altered = last.clone();
    altered[8 * KIB - 1] ^= 1;

    assertTrue(torrent.isValidBlock(2, last, last.length));
    assertTrue(torrent.isValidBlock(2, padded, last.length)); // only the first length bytes count
    assertFalse(torrent.isValidBlock(2, padded, padded.length));
    assertFalse(torrent.isValidBlock(2, altered, altered.length));
    assertFalse(torrent.isValidBlock(1, last, last.length));
  }

  @Test
  void matchesFileHashesNeedsBothDigests() {
    Torrent torrent = Torrent.of(valid().build());
    byte[] sha256 = filled(0x22, 32).toByteArray();
    byte[] md5 = filled(0x33, 16).toByteArray();

    assertTrue(torrent.matchesFileHashes(sha256, md5));
    assertFalse(torrent.matchesFileHashes(filled(0x21, 32).toByteArray(), md5));
    assertFalse(torrent.matchesFileHashes(sha256, filled(0x32, 16).toByteArray()));
  }

  @Test
  void torrentsAreEqualByInfoHash() {
    Torrent a = Torrent.of(valid().build());

    assertEquals(a, Torrent.of(valid().build()));
    assertEquals(a.hashCode(), Torrent.of(valid().build()).hashCode());
    assertNotEquals(a, Torrent.of(valid().setName("other").build()));
    assertTrue(a.toString().contains(a.infoHash().shortHex()));
  }

  @Test
  void blockCountRoundsUpWithoutOverflow() {
    assertEquals(1, Torrent.blockCount(1, 16 * KIB));
    assertEquals(1, Torrent.blockCount(16 * KIB, 16 * KIB));
    assertEquals(2, Torrent.blockCount(16 * KIB + 1, 16 * KIB));
    assertEquals(Long.MAX_VALUE / (16 * KIB) + 1, Torrent.blockCount(Long.MAX_VALUE, 16 * KIB));
  }

  @Test
  void defaultBlockSizeDoublesUntilTheFileFitsIn65536Blocks() {
    long atDefault = 65_536L * Torrent.DEFAULT_BLOCK_SIZE; // 16 GiB

    assertEquals(256 * KIB, Torrent.defaultBlockSize(1));
    assertEquals(256 * KIB, Torrent.defaultBlockSize(atDefault));
    assertEquals(512 * KIB, Torrent.defaultBlockSize(atDefault + 1));
    assertEquals(1 * MIB, Torrent.defaultBlockSize(64 * GIB));
    assertEquals(4 * MIB, Torrent.defaultBlockSize(256 * GIB));
    // Beyond what 4 MiB blocks can cover it stops at the maximum (and the manifest is refused).
    assertEquals(4 * MIB, Torrent.defaultBlockSize(256 * GIB + 1));
    assertEquals(4 * MIB, Torrent.defaultBlockSize(Long.MAX_VALUE));
  }
}
