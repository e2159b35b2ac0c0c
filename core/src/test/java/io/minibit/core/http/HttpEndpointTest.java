package io.minibit.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.minibit.core.telemetry.Telemetry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HttpEndpointTest {
  private final HttpClient client = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();
  private HttpEndpoint http;

  @AfterEach
  void stop() {
    if (http != null) {
      http.close();
    }
  }

  private HttpResponse<String> get(String path) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void healthzFollowsTheServerItSpeaksFor() throws Exception {
    AtomicBoolean serving = new AtomicBoolean(true);
    http = HttpEndpoint.start("127.0.0.1", 0, Telemetry.noop(), Map.of(), serving::get);

    HttpResponse<String> up = get("/healthz");
    assertEquals(200, up.statusCode());
    assertEquals("SERVING\n", up.body());

    serving.set(false);
    HttpResponse<String> down = get("/healthz");
    assertEquals(503, down.statusCode());
    assertEquals("NOT_SERVING\n", down.body());
  }

  @Test
  void metricsAndUnknownPaths() throws Exception {
    http = HttpEndpoint.start("127.0.0.1", 0, Telemetry.noop(), Map.of(), () -> true);

    assertEquals(200, get("/metrics").statusCode());
    assertEquals(404, get("/metrics/nothing").statusCode());
  }
}
