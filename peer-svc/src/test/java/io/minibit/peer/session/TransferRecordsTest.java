package io.minibit.peer.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.minibit.core.Torrent;
import io.minibit.core.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransferRecordsTest {
  @TempDir Path root;

  @Test
  void aDownloadsLastUseOutlivesARestartAndAShareHasNone() throws Exception {
    Torrent downloaded = TestFiles.share(root, "downloaded.bin", 40_000, 16384, 1).torrent();
    Torrent shared = TestFiles.share(root, "shared.bin", 40_000, 16384, 2).torrent();
    TransferRecords records = new TransferRecords(root.resolve("state"));
    records.save(downloaded, root);
    records.save(shared, root);
    Instant used = Instant.parse("2026-11-30T08:15:30.123Z");
    records.saveLastUse(downloaded.infoHash(), used);

    List<TransferRecords.Record> loaded = new TransferRecords(root.resolve("state")).loadAll();

    assertEquals(Optional.of(used), find(loaded, downloaded).lastUse());
    assertEquals(Optional.empty(), find(loaded, shared).lastUse());
  }

  @Test
  void deletingARecordDeletesItsLastUse() throws Exception {
    Torrent torrent = TestFiles.share(root, "gone.bin", 40_000, 16384, 3).torrent();
    TransferRecords records = new TransferRecords(root.resolve("state"));
    records.save(torrent, root);
    records.saveLastUse(torrent.infoHash(), Instant.now());

    records.delete(torrent.infoHash());

    try (var left = Files.list(root.resolve("state"))) {
      assertEquals(List.of(), left.toList());
    }
  }

  private static TransferRecords.Record find(List<TransferRecords.Record> records,
      Torrent torrent) {
    return records.stream().filter(r -> r.torrent().infoHash().equals(torrent.infoHash()))
        .findFirst().orElseThrow();
  }
}
