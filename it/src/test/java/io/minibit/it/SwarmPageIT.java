package io.minibit.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.Http;
import io.minibit.core.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live swarm page as a person sees it: real tracker and peer JVMs, two downloads at once
 * slowed by the seeder's upload cap, and headless Chromium showing one downloader's page. Progress must
 * advance and the block map fill while the page stays open; screenshots are kept under
 * {@code target/}. The metrics of both services are scraped along the way.
 */
class SwarmPageIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final int BLOCK = 64 * 1024;
  private static final int BLOCKS = 160; // 10 MiB, from a seeder sending 1 MiB/s in all
  private static final Path SHOTS = Path.of("target", "screenshots");

  /** What the page shows of the transfer, read from its DOM. */
  private static final String PAGE_STATE = "(() => {"
      + " const card = document.querySelector('.transfer');"
      + " if (!card) return null;"
      + " return {progress: Number(card.dataset.progress), state: card.dataset.state,"
      + "   cells: card.querySelectorAll('.map .cell').length,"
      + "   have: card.querySelectorAll('.map .cell.have').length,"
      + "   peers: card.querySelectorAll('.peers tbody tr').length,"
      + "   text: card.querySelector('.figures').textContent}; })()";

  @TempDir Path root;
  private Cluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static JsonObject pageState(Chromium browser) {
    try {
      String json = browser.evaluate(PAGE_STATE);
      return json.equals("null") ? null : JsonParser.parseString(json).getAsJsonObject();
    } catch (Exception e) {
      throw new AssertionError("cannot read the page", e);
    }
  }

  @Test
  void thePageShowsADownloadAdvancingAndItsBlockMapFilling() throws Exception {
    assertTrue(Files.isExecutable(Chromium.BINARY),
        "this test needs Debian's chromium package (make test installs it)");
    cluster = new Cluster(root);
    cluster.startTracker();
    Cluster.PeerProcess seeder = cluster.peer("seeder", "--upload-limit", "1024");
    Cluster.PeerProcess leecher = cluster.peer("leecher");
    Cluster.PeerProcess other = cluster.peer("other"); // downloads too: blocks of two rarities
    Path file = TestFiles.createFile(seeder.dataDir, "watched.bin", BLOCKS * BLOCK, 11);
    Cluster.Result shared = cluster.cli(TIMEOUT, "--peer", seeder.controlAddress(), "share",
        file.toString(), "--block-size", String.valueOf(BLOCK));
    assertEquals(0, shared.exitCode(), shared.toString());
    String infohash = shared.stdout().strip();
    String torrent = "infohash=\"" + infohash + "\"";
    double announcesBefore = Http.value(Http.body(cluster.trackerHttp() + "/metrics"),
        "minibit_tracker_announces_total");

    try (Chromium browser = Chromium.open(leecher.http() + "/", root.resolve("chromium"))) {
      Await.until(TIMEOUT, "the page polled its JSON", () -> {
        try {
          return Integer.parseInt(browser.evaluate("document.body.dataset.updates || '0'")
              .replace("\"", "")) > 0;
        } catch (Exception e) {
          return false;
        }
      });
      Cluster.RunningCli get = cluster.startCli("--peer", leecher.controlAddress(), "get",
          infohash);
      Cluster.RunningCli otherGet = cluster.startCli("--peer", other.controlAddress(), "get",
          infohash);

      JsonObject early = Await.until(TIMEOUT, "the page shows the download part-way",
          () -> pageState(browser), s -> s != null && s.get("have").getAsInt() > 0
              && s.get("progress").getAsDouble() < 0.5);
      assertEquals("downloading", early.get("state").getAsString());
      assertEquals(BLOCKS, early.get("cells").getAsInt(), "one cell per block");
      assertTrue(early.get("peers").getAsInt() >= 1, early.toString());
      double downloadedEarly = Http.value(Http.body(leecher.http() + "/metrics"),
          "minibit_peer_downloaded_bytes_total", torrent);

      JsonObject later = Await.until(TIMEOUT, "progress advances on the same page",
          () -> pageState(browser), s -> s.get("progress").getAsDouble()
              > early.get("progress").getAsDouble() + 0.2);
      assertTrue(later.get("have").getAsInt() > early.get("have").getAsInt(), later.toString());
      browser.screenshot(SHOTS.resolve("swarm-page-downloading.png"));
      assertTrue(Http.value(Http.body(leecher.http() + "/metrics"),
          "minibit_peer_downloaded_bytes_total", torrent) > downloadedEarly);

      Cluster.Result got = get.finish(TIMEOUT);
      assertEquals(0, got.exitCode(), got.toString());
      assertEquals(0, otherGet.finish(TIMEOUT).exitCode());
      // the page polls once a second: a poll between the last block and the whole-file check
      // shows every block with the state still downloading, so the page is awaited to seed
      JsonObject done = Await.until(TIMEOUT, "the block map is full and the page says seeding",
          () -> pageState(browser), s -> s.get("have").getAsInt() == BLOCKS
              && s.get("state").getAsString().equals("seeding"));
      assertEquals(1.0, done.get("progress").getAsDouble());
      browser.screenshot(SHOTS.resolve("swarm-page-done.png"));
    }
    String seederMetrics = Http.body(seeder.http() + "/metrics");
    assertTrue(Http.value(seederMetrics, "minibit_peer_uploaded_bytes_total", torrent)
        >= BLOCKS * BLOCK);
    assertTrue(Http.value(Http.body(cluster.trackerHttp() + "/metrics"),
        "minibit_tracker_announces_total") > announcesBefore);
    assertTrue(Files.size(SHOTS.resolve("swarm-page-downloading.png")) > 10_000);
  }

  @Test
  void aFilePickedFromTheCatalogIsFetchedWithTheDownloadButtonAndVerified() throws Exception {
    assertTrue(Files.isExecutable(Chromium.BINARY),
        "this test needs Debian's chromium package (make test installs it)");
    cluster = new Cluster(root);
    cluster.startTracker();
    Cluster.PeerProcess seeder = cluster.peer("seeder", "--upload-limit", "2048");
    Cluster.PeerProcess leecher = cluster.peer("leecher");
    Path file = TestFiles.createFile(seeder.dataDir, "picked.bin", 64 * BLOCK, 17);
    Cluster.Result shared = cluster.cli(TIMEOUT, "--peer", seeder.controlAddress(), "share",
        file.toString(), "--block-size", String.valueOf(BLOCK));
    assertEquals(0, shared.exitCode(), shared.toString());
    String infohash = shared.stdout().strip();
    String button = "document.querySelector('#catalog button[data-infohash=\"" + infohash
        + "\"]')";

    try (Chromium browser = Chromium.open(leecher.http() + "/", root.resolve("chromium"))) {
      Await.until(TIMEOUT, "the page lists the file with a Download button",
          () -> evaluate(browser, button + "?.textContent"), "\"Download\""::equals);
      browser.evaluate(button + ".click()");

      String verified = Await.until(TIMEOUT, "the page says the file is verified",
          () -> evaluate(browser, "document.querySelector('.transfer[data-infohash=\""
              + infohash + "\"] .verified')?.textContent || ''"),
          text -> text.contains("verified"));
      assertTrue(verified.contains("whole file"), verified);
      assertEquals("\"Held here\"", evaluate(browser, button + ".textContent"));
      browser.screenshot(SHOTS.resolve("swarm-page-downloaded-from-catalog.png"));
    }
    assertArrayEquals(Files.readAllBytes(file),
        Files.readAllBytes(leecher.dataDir.resolve("picked.bin")));
  }

  private static String evaluate(Chromium browser, String expression) {
    try {
      return browser.evaluate(expression);
    } catch (Exception e) {
      return "";
    }
  }
}
