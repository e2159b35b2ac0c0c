package io.minibit.tracker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.api.v2.Manifest;
import io.minibit.core.ErrorCode;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CatalogTest {
  private static final Publisher OWNER = Publisher.ofKey("0a".repeat(32));
  private static final Publisher OTHER = new Publisher("tls:CN=other");

  @TempDir
  Path dir;

  /** The catalog's manifests and any other file beside them (not its owners' directory). */
  private List<String> filesOnDisk() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(Files::isRegularFile).map(f -> f.getFileName().toString()).sorted()
          .toList();
    }
  }

  @Test
  void publishedManifestIsFoundByInfohashAndName() throws IOException {
    Catalog catalog = Catalog.open(dir);
    Manifest manifest = TestManifests.manifest("song.ogg", 1);

    Catalog.Published published = catalog.publish(Torrent.of(manifest), OWNER);

    Torrent torrent = published.torrent();
    assertTrue(published.created());
    assertEquals(Torrent.of(manifest).infoHash(), torrent.infoHash());
    assertEquals(manifest, catalog.get(torrent.infoHash()).orElseThrow().manifest());
    assertEquals(manifest, catalog.byName("song.ogg").orElseThrow().manifest());
    assertEquals(Optional.empty(), catalog.byName("other.ogg"));
    assertEquals(Optional.empty(),
        catalog.get(Torrent.of(TestManifests.manifest("song.ogg", 2)).infoHash()));
  }

  @Test
  void manifestIsStoredAsItsProtoBytesUnderItsInfohash() throws IOException {
    Catalog catalog = Catalog.open(dir);
    Manifest manifest = TestManifests.manifest("song.ogg", 1);

    Torrent torrent = catalog.publish(Torrent.of(manifest), OWNER).torrent();

    assertEquals(List.of(torrent.infoHash().hex() + ".manifest"), filesOnDisk());
    assertArrayEquals(manifest.toByteArray(),
        Files.readAllBytes(dir.resolve(torrent.infoHash().hex() + ".manifest")));
  }

  @Test
  void publishingTheSameManifestTwiceIsIdempotent() throws IOException {
    Catalog catalog = Catalog.open(dir);
    Manifest manifest = TestManifests.manifest("song.ogg", 1);

    Catalog.Published first = catalog.publish(Torrent.of(manifest), OWNER);
    Catalog.Published second = catalog.publish(Torrent.of(manifest), OWNER);

    assertTrue(first.created());
    assertFalse(second.created());
    assertEquals(first.torrent(), second.torrent());
    assertEquals(1, catalog.size());
    assertEquals(1, filesOnDisk().size());
  }

  @Test
  void aNameResolvesToItsMostRecentlyPublishedManifest() throws IOException {
    Catalog catalog = Catalog.open(dir);
    Manifest v1 = TestManifests.manifest("report.pdf", 1);
    Manifest v2 = TestManifests.manifest("report.pdf", 2);

    catalog.publish(Torrent.of(v1), OWNER);
    catalog.publish(Torrent.of(v2), OWNER);
    assertEquals(v2, catalog.byName("report.pdf").orElseThrow().manifest());

    catalog.publish(Torrent.of(v1), OWNER);
    assertEquals(v1, catalog.byName("report.pdf").orElseThrow().manifest(),
        "publishing v1 again makes it the current one");
    assertEquals(2, catalog.size(), "both versions stay reachable by infohash");
  }

  @Test
  void catalogSurvivesReopeningTheDirectory() throws IOException {
    Catalog first = Catalog.open(dir);
    Torrent a = first.publish(Torrent.of(TestManifests.manifest("a.bin", 1)), OWNER).torrent();
    Torrent b = first.publish(Torrent.of(TestManifests.manifest("b.bin", 2)), OWNER).torrent();

    Catalog reopened = Catalog.open(dir);

    assertEquals(List.of(a, b), reopened.list());
    assertEquals(a.manifest(), reopened.get(a.infoHash()).orElseThrow().manifest());
    assertEquals(b.manifest(), reopened.byName("b.bin").orElseThrow().manifest());
    assertFalse(reopened.publish(a, OWNER).created());
  }

  @Test
  void reopenedCatalogResolvesNamesByPublicationOrder() throws IOException {
    Catalog first = Catalog.open(dir);
    Torrent older = first.publish(
        Torrent.of(TestManifests.manifest("report.pdf", 1)), OWNER).torrent();
    Torrent newer = first.publish(
        Torrent.of(TestManifests.manifest("report.pdf", 2)), OWNER).torrent();
    // Pin the modification times so the test does not depend on the file system's resolution.
    Files.setLastModifiedTime(dir.resolve(older.infoHash().hex() + ".manifest"),
        FileTime.from(Instant.parse("2030-01-01T00:00:00Z")));
    Files.setLastModifiedTime(dir.resolve(newer.infoHash().hex() + ".manifest"),
        FileTime.from(Instant.parse("2030-01-01T00:00:01Z")));

    assertEquals(newer, Catalog.open(dir).byName("report.pdf").orElseThrow());
  }

  @Test
  void listIsOrderedByNameThenInfohash() throws IOException {
    Catalog catalog = Catalog.open(dir);
    Torrent c = catalog.publish(Torrent.of(TestManifests.manifest("c.bin", 1)), OWNER).torrent();
    Torrent a1 = catalog.publish(Torrent.of(TestManifests.manifest("a.bin", 2)), OWNER).torrent();
    Torrent b = catalog.publish(Torrent.of(TestManifests.manifest("b.bin", 3)), OWNER).torrent();
    Torrent a2 = catalog.publish(Torrent.of(TestManifests.manifest("a.bin", 4)), OWNER).torrent();
    List<Torrent> aByHash = a1.infoHash().compareTo(a2.infoHash()) < 0
        ? List.of(a1, a2) : List.of(a2, a1);

    assertEquals(List.of(aByHash.get(0), aByHash.get(1), b, c), catalog.list());
  }

  @Test
  void corruptOrMismatchedFilesAreSkippedAtLoad() throws IOException {
    Catalog first = Catalog.open(dir);
    Torrent good = first.publish(
        Torrent.of(TestManifests.manifest("good.bin", 1)), OWNER).torrent();
    Torrent moved = Torrent.of(TestManifests.manifest("moved.bin", 2));
    // Garbage bytes, a valid manifest under someone else's infohash, and a truncated manifest.
    Files.write(dir.resolve("ab".repeat(32) + ".manifest"),
        "not a protobuf".getBytes(StandardCharsets.UTF_8));
    Files.write(dir.resolve("cd".repeat(32) + ".manifest"), moved.manifest().toByteArray());
    byte[] whole = TestManifests.manifest("cut.bin", 3).toByteArray();
    Files.write(dir.resolve(Torrent.of(TestManifests.manifest("cut.bin", 3)).infoHash().hex()
        + ".manifest"), Arrays.copyOf(whole, whole.length / 2));

    Catalog reopened = Catalog.open(dir);

    assertEquals(List.of(good), reopened.list());
    assertEquals(Optional.empty(), reopened.byName("moved.bin"));
    assertEquals(Optional.empty(), reopened.byName("cut.bin"));
  }

  @Test
  void republishingOverACorruptFileRepairsIt() throws IOException {
    Manifest manifest = TestManifests.manifest("fixed.bin", 1);
    Path file = dir.resolve(Torrent.of(manifest).infoHash().hex() + ".manifest");
    Files.write(file, new byte[] {1, 2, 3});
    Catalog catalog = Catalog.open(dir);

    assertTrue(catalog.publish(Torrent.of(manifest), OWNER).created());

    assertArrayEquals(manifest.toByteArray(), Files.readAllBytes(file));
    assertEquals(manifest, Catalog.open(dir).byName("fixed.bin").orElseThrow().manifest());
  }

  @Test
  void leftoverTemporaryFilesAreRemovedAtLoad() throws IOException {
    Files.write(dir.resolve(".publish-123.tmp"), new byte[] {1, 2, 3});

    Catalog catalog = Catalog.open(dir);

    assertEquals(0, catalog.size());
    assertEquals(List.of(), filesOnDisk());
  }

  @Test
  void malformedManifestIsRefusedAndNothingIsWritten() throws IOException {
    Catalog catalog = Catalog.open(dir);
    Manifest valid = TestManifests.manifest("song.ogg", 1);
    Manifest wrongBlockCount = TestManifests.withoutLastBlockHash(valid);

    MinibitException e = assertThrows(MinibitException.class,
        () -> catalog.publish(Torrent.of(wrongBlockCount), OWNER));

    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertTrue(e.getMessage().contains("has 3"), e.getMessage());
    assertEquals(List.of(), filesOnDisk());
    assertEquals(0, catalog.size());
  }

  @Test
  void openCreatesAMissingDirectory() throws IOException {
    Path nested = dir.resolve("data").resolve("catalog");

    Catalog catalog = Catalog.open(nested);
    catalog.publish(Torrent.of(TestManifests.manifest("song.ogg", 1)), OWNER);

    assertTrue(Files.isDirectory(nested));
    assertEquals(1, Catalog.open(nested).size());
  }
  @Test
  void aNameBelongsToItsFirstPublisher() throws IOException {
    Catalog catalog = Catalog.open(dir);
    Manifest v1 = TestManifests.manifest("report.pdf", 1);
    Manifest forged = TestManifests.manifest("report.pdf", 2);
    catalog.publish(Torrent.of(v1), OWNER);

    MinibitException e = assertThrows(MinibitException.class,
        () -> catalog.publish(Torrent.of(forged), OTHER));

    assertEquals(ErrorCode.PERMISSION_DENIED, e.code());
    assertTrue(e.getMessage().contains("'report.pdf' belongs to another publisher ("
        + OWNER + ")"), e.getMessage());
    assertEquals(v1, catalog.byName("report.pdf").orElseThrow().manifest());
    assertEquals(1, catalog.size());
    assertEquals(1, filesOnDisk().size(), "nothing of the refused publish is stored");
    assertEquals(Optional.of(OWNER), catalog.owner("report.pdf"));
    assertEquals(Optional.empty(), catalog.owner("other.pdf"));
  }

  @Test
  void onlyTheOwnerMakesAVersionTheLatest() throws IOException {
    Catalog catalog = Catalog.open(dir);
    Torrent v1 = catalog.publish(
        Torrent.of(TestManifests.manifest("report.pdf", 1)), OWNER).torrent();
    Torrent v2 = catalog.publish(
        Torrent.of(TestManifests.manifest("report.pdf", 2)), OWNER).torrent();
    assertTrue(catalog.isLatest(v2));
    assertFalse(catalog.isLatest(v1));

    assertFalse(catalog.publish(v1, OTHER).created(), "another seeder of v1");
    assertTrue(catalog.isLatest(v2), "an old version sent again by another stays old");
    assertEquals(Optional.of(OWNER), catalog.owner("report.pdf"));

    catalog.publish(v1, OWNER);
    assertTrue(catalog.isLatest(v1));
    assertEquals(v1, catalog.byName("report.pdf").orElseThrow());
  }

  @Test
  void ownersSurviveReopeningTheDirectory() throws IOException {
    Catalog first = Catalog.open(dir);
    first.publish(Torrent.of(TestManifests.manifest("a.bin", 1)), OWNER);
    first.publish(Torrent.of(TestManifests.manifest("b.bin", 2)), OTHER);

    Catalog reopened = Catalog.open(dir);

    assertEquals(Optional.of(OWNER), reopened.owner("a.bin"));
    assertEquals(Optional.of(OTHER), reopened.owner("b.bin"));
    assertEquals(ErrorCode.PERMISSION_DENIED, assertThrows(MinibitException.class,
        () -> reopened.publish(Torrent.of(TestManifests.manifest("a.bin", 3)), OTHER)).code());
    assertTrue(reopened.publish(Torrent.of(TestManifests.manifest("a.bin", 3)), OWNER).created());
  }

  @Test
  void aDamagedOwnerRecordIsSkippedAndTheOthersLoad() throws IOException {
    Catalog first = Catalog.open(dir);
    first.publish(Torrent.of(TestManifests.manifest("a.bin", 1)), OWNER);
    Files.writeString(dir.resolve(Catalog.OWNERS_DIR).resolve("junk" + NameOwners.SUFFIX),
        "not\nan owner\nrecord\n");

    Catalog reopened = Catalog.open(dir);

    assertEquals(Optional.of(OWNER), reopened.owner("a.bin"));
    assertEquals(1, reopened.size());
  }
}
