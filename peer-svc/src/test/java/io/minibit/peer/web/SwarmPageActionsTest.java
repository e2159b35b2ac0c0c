package io.minibit.peer.web;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.minibit.api.v2.ShareRequest;
import io.minibit.api.v2.TransferState;
import io.minibit.core.http.HttpEndpoint;
import io.minibit.core.telemetry.Telemetry;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.Http;
import io.minibit.core.testing.TestFiles;
import io.minibit.peer.testing.LocalSwarm;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The page's catalog and its Download action, over real HTTP to a real daemon. */
class SwarmPageActionsTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @RegisterExtension
  final LocalSwarm swarm = LocalSwarm.builder().build();
  private HttpEndpoint http;
  private LocalSwarm.Peer seeder;
  private LocalSwarm.Peer leecher;
  private String infohash;
  private String base;

  @BeforeEach
  void start() throws Exception {
    seeder = swarm.peer("seeder");
    leecher = swarm.peer("leecher");
    TestFiles.createFile(seeder.dataDir(), "offered.bin", 1 << 20, 21);
    infohash = seeder.control().share(ShareRequest.newBuilder().setPath("offered.bin")
        .setBlockSize(64 * 1024).build()).getInfohash();
    SwarmPage page = new SwarmPage(leecher.daemon());
    http = HttpEndpoint.start("127.0.0.1", 0, Telemetry.noop(), page.pages(), page.actions(),
        () -> true);
    base = "http://127.0.0.1:" + http.port();
  }

  @AfterEach
  void stop() {
    if (http != null) {
      http.close();
    }
  }

  private HttpResponse<String> post(String body, String... headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + "/api/downloads"))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return Http.send(request.build());
  }

  private static String error(HttpResponse<String> response) {
    return JsonParser.parseString(response.body()).getAsJsonObject().get("error").getAsString();
  }

  @Test
  void theCatalogListsTheTrackersFilesAndTheDownloadButtonFetchesOne() throws Exception {
    // sharing returns once the file is published; the seeder's first announce follows it
    JsonArray torrents = Await.until(TIMEOUT, "the catalog counts the seeder once it announced",
        () -> JsonParser.parseString(Http.body(base + "/api/catalog")).getAsJsonObject()
            .getAsJsonArray("torrents"),
        listed -> listed.size() == 1
            && listed.get(0).getAsJsonObject().get("seeders").getAsInt() == 1);
    JsonObject offered = torrents.get(0).getAsJsonObject();
    assertEquals("offered.bin", offered.get("name").getAsString());
    assertFalse(offered.get("held").getAsBoolean());

    HttpResponse<String> started = post("{\"infohash\": \"" + infohash + "\"}",
        "Content-Type", "application/json");

    assertEquals(202, started.statusCode(), started.body());
    assertEquals(infohash, JsonParser.parseString(started.body()).getAsJsonObject()
        .get("infohash").getAsString());
    Await.until(TIMEOUT, "the download the page started is verified", () -> leecher
        .transfer(infohash).map(t -> t.getState() == TransferState.TRANSFER_STATE_SEEDING)
        .orElse(false));
    assertArrayEquals(Files.readAllBytes(seeder.dataDir().resolve("offered.bin")),
        Files.readAllBytes(leecher.dataDir().resolve("offered.bin")));
    assertTrue(JsonParser.parseString(Http.body(base + "/api/catalog")).getAsJsonObject()
        .getAsJsonArray("torrents").get(0).getAsJsonObject().get("held").getAsBoolean());
  }

  @Test
  void refusalsAndBadRequestsAreAnsweredInWordsAndStartNothing() {
    HttpResponse<String> crossOrigin = post("{\"infohash\": \"" + infohash + "\"}",
        "Content-Type", "application/json", "Origin", "http://evil.example");
    assertEquals(403, crossOrigin.statusCode());
    assertTrue(error(crossOrigin).contains("another origin"), crossOrigin.body());

    HttpResponse<String> form = post("infohash=" + infohash,
        "Content-Type", "application/x-www-form-urlencoded");
    assertEquals(415, form.statusCode());

    HttpResponse<String> notJson = post("[1, 2", "Content-Type", "application/json");
    assertEquals(400, notJson.statusCode());
    assertTrue(error(notJson).contains("not a JSON object"), notJson.body());

    HttpResponse<String> unknown = post("{\"infohash\": \"" + "0".repeat(64) + "\"}",
        "Content-Type", "application/json");
    assertEquals(404, unknown.statusCode(), unknown.body());

    HttpResponse<String> badHash = post("{\"infohash\": \"xyz\"}",
        "Content-Type", "application/json");
    assertEquals(400, badHash.statusCode(), badHash.body());

    assertEquals(405, Http.get(base + "/api/downloads").statusCode());
    assertTrue(leecher.transfer(infohash).isEmpty(), "nothing was started");
  }
}
