package io.minibit.it;

import io.minibit.core.AtomicFiles;
import io.minibit.core.Torrent;
import io.minibit.core.store.BlockStore;
import io.minibit.core.testing.TestFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run under strace by {@link DurabilityIT}: finishes a download into {@code args[0]/downloads}
 * and writes a record atomically into {@code args[0]/state}, nothing else.
 */
public final class DurabilityProbe {
  private DurabilityProbe() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    TestFiles.SharedFile source = TestFiles.share(root.resolve("seed"), "data.bin",
        4 * Torrent.MIN_BLOCK_SIZE, Torrent.MIN_BLOCK_SIZE, 1);
    Path downloads = Files.createDirectories(root.resolve("downloads"));
    try (BlockStore store = BlockStore.openPartial(source.torrent(), downloads)) {
      for (int i = 0; i < source.torrent().blockCount(); i++) {
        byte[] block = source.block(i);
        store.write(i, block, block.length);
      }
      store.finish();
    }
    Path state = Files.createDirectories(root.resolve("state"));
    AtomicFiles.write(state.resolve("record"), "v2".getBytes(StandardCharsets.UTF_8));
  }
}
