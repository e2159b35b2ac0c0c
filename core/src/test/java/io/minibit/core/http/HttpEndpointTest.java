package io.minibit.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.core.http.HttpEndpoint.Page;
import io.minibit.core.http.HttpEndpoint.Reply;
import io.minibit.core.telemetry.Telemetry;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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

  /** A page at "/" that names the path it was asked for, and one at "/api/" that says so. */
  private static final Map<String, Page> PAGES = Map.of(
      "/", new Page("text/plain", path -> out -> out.write(("root " + path).getBytes())),
      "/api/", new Page("text/plain", path -> out -> out.write(("api " + path).getBytes())));

  /** An action that echoes its body and a header. */
  private static final Map<String, HttpEndpoint.Action> ACTIONS = Map.of("/api/echo",
      request -> new Reply(201, "text/plain",
          (request.header("X-Note") + ":" + new String(request.body())).getBytes()));

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return client.send(request.timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest.Builder at(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path));
  }

  /** Sends {@code request} as it is on a socket of its own; the whole answer, to its end. */
  private String raw(String request) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", http.port())) {
      socket.setSoTimeout(5000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void pagesGoByTheLongestPrefixAndAnswerGetAndHeadOnly() throws Exception {
    http = HttpEndpoint.start("127.0.0.1", 0, Telemetry.noop(), PAGES, Map.of(), () -> true);

    HttpResponse<String> root = get("/some/where%20else");
    assertEquals(200, root.statusCode());
    assertEquals("root /some/where else", root.body());
    assertEquals("api /api/list", get("/api/list").body());

    HttpResponse<String> head = send(at("/api/list").method("HEAD",
        HttpRequest.BodyPublishers.noBody()));
    assertEquals(200, head.statusCode());
    assertEquals("", head.body());
    assertEquals("13", head.headers().firstValue("Content-Length").orElseThrow());
    assertEquals("no-store", head.headers().firstValue("Cache-Control").orElseThrow());

    HttpResponse<String> post = send(at("/api/list").POST(
        HttpRequest.BodyPublishers.ofString("x")));
    assertEquals(405, post.statusCode());
    assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElseThrow());
  }

  @Test
  void actionsTakePostsWithTheirBodyAndHeaders() throws Exception {
    http = HttpEndpoint.start("127.0.0.1", 0, Telemetry.noop(), PAGES, ACTIONS, () -> true);

    HttpResponse<String> done = send(at("/api/echo").header("X-Note", "hi")
        .POST(HttpRequest.BodyPublishers.ofString("{\"a\":1}")));
    assertEquals(201, done.statusCode());
    assertEquals("hi:{\"a\":1}", done.body());

    HttpResponse<String> get = get("/api/echo");
    assertEquals(405, get.statusCode());
    assertEquals("POST", get.headers().firstValue("Allow").orElseThrow());
  }

  @Test
  void requestsBeyondTheLimitsAreRefusedWithTheirStatus() throws Exception {
    http = HttpEndpoint.start("127.0.0.1", 0, Telemetry.noop(), PAGES, ACTIONS, () -> true);

    String tooLong = raw("POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: "
        + (HttpEndpoint.MAX_BODY + 1) + "\r\n\r\n");
    assertTrue(tooLong.startsWith("HTTP/1.1 413 "), tooLong);
    assertTrue(tooLong.contains("at most " + HttpEndpoint.MAX_BODY + " bytes"), tooLong);

    String chunked = raw("POST /api/echo HTTP/1.1\r\nHost: x\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n");
    assertTrue(chunked.startsWith("HTTP/1.1 411 "), chunked);

    String headers = raw("GET / HTTP/1.1\r\nX-Big: " + "a".repeat(HttpEndpoint.MAX_HEAD)
        + "\r\n\r\n");
    assertTrue(headers.startsWith("HTTP/1.1 431 "), headers);

    String many = raw("GET / HTTP/1.1\r\n" + "X-A: 1\r\n".repeat(HttpEndpoint.MAX_HEADERS + 1)
        + "\r\n");
    assertTrue(many.startsWith("HTTP/1.1 431 "), many);

    for (String request : new String[] {"GARBAGE\r\n\r\n", "get / HTTP/1.1\r\n\r\n",
        "GET / SPDY/3\r\n\r\n", "GET /a b HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\n folded: header\r\n\r\n", "GET /%zz HTTP/1.1\r\n\r\n",
        "POST /api/echo HTTP/1.1\r\nContent-Length: many\r\n\r\n"}) {
      String answer = raw(request);
      assertTrue(answer.startsWith("HTTP/1.1 400 "), request + " -> " + answer);
      assertTrue(answer.contains("Connection: close"), answer);
    }
  }

  @Test
  void aClientThatSendsNothingLosesItsConnectionWhileOthersAreAnswered() throws Exception {
    http = HttpEndpoint.start("127.0.0.1", Telemetry.noop(), PAGES, Map.of(),
        Duration.ofMillis(300));
    try (Socket silent = new Socket("127.0.0.1", http.port());
        Socket halfway = new Socket("127.0.0.1", http.port())) {
      halfway.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n".getBytes());
      // Both workers now wait on a client; the next request waits for one of them to give up.
      assertEquals("root /next", get("/next").body());
      silent.setSoTimeout(5000);
      halfway.setSoTimeout(5000);
      assertEquals(-1, silent.getInputStream().read(), "the silent client's connection closed");
      InputStream rest = halfway.getInputStream();
      assertEquals(-1, rest.read(), "a request cut short gets no answer");
    }
  }
}
