package io.minibit.core.http;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.minibit.core.DaemonThreads;
import io.minibit.core.telemetry.Telemetry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A service's small HTTP server (the JDK's): {@code /metrics} in the Prometheus text format, plus
 * whatever pages the service adds, and the POST actions it takes. Pages answer GET and HEAD, an
 * action POST only; an unknown path is a 404 and a failing handler a 500 with a one-line
 * message, never a stack trace. Thread-safe.
 */
public final class HttpEndpoint implements AutoCloseable {
  private static final Logger log = Logger.getLogger(HttpEndpoint.class.getName());

  /** Writes a response body; the endpoint sets the status and headers. */
  @FunctionalInterface
  public interface Body {
    void write(OutputStream out) throws IOException;
  }

  /** A page: its content type and how to write it for a request of {@code path}. */
  public record Page(String contentType, PageWriter writer) {}

  /** Writes the page for {@code path}; null if there is none at that path. */
  @FunctionalInterface
  public interface PageWriter {
    Body render(String path) throws IOException;
  }

  /** A POST request: what an {@link Action} is given. */
  public record Request(String path, Headers headers, byte[] body, InetAddress caller) {
    /** The first value of header {@code name}, or empty. */
    public String header(String name) {
      String value = headers.getFirst(name);
      return value == null ? "" : value;
    }
  }

  /** What an action answers: a status and a body of {@code contentType}. */
  public record Reply(int status, String contentType, byte[] body) {
    /** A reply whose body is {@code json}. */
    public static Reply json(int status, String json) {
      return new Reply(status, "application/json; charset=utf-8",
          json.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** Handles a POST to its path prefix. */
  @FunctionalInterface
  public interface Action {
    Reply handle(Request request) throws IOException;
  }

  /** An action's request body may be at most this long. */
  static final int MAX_BODY = 64 * 1024;

  private final HttpServer server;
  private final ExecutorService executor;

  private HttpEndpoint(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Listens on {@code port} (0 picks one) on every interface and serves {@code /metrics} from
   * {@code telemetry} and each of {@code pages} under its path prefix ("/" serves any path no
   * other prefix claims).
   */
  public static HttpEndpoint start(int port, Telemetry telemetry, Map<String, Page> pages)
      throws IOException {
    return start(new InetSocketAddress(port), telemetry, pages, () -> true);
  }

  /**
   * As above, on {@code host} only (127.0.0.1: this machine's processes alone), with {@code
   * /healthz} answering 200 {@code SERVING} while {@code serving} holds and 503 {@code
   * NOT_SERVING} once it does not: a check a shell can make (the images' HEALTHCHECK does), where
   * a gRPC health check needs a client.
   */
  public static HttpEndpoint start(String host, int port, Telemetry telemetry,
      Map<String, Page> pages, BooleanSupplier serving) throws IOException {
    return start(new InetSocketAddress(host, port), telemetry, pages, Map.of(), serving);
  }

  /** As above, with each of {@code actions} taking POSTs at its exact path. */
  public static HttpEndpoint start(String host, int port, Telemetry telemetry,
      Map<String, Page> pages, Map<String, Action> actions, BooleanSupplier serving)
      throws IOException {
    return start(new InetSocketAddress(host, port), telemetry, pages, actions, serving);
  }

  private static HttpEndpoint start(InetSocketAddress address, Telemetry telemetry,
      Map<String, Page> pages, BooleanSupplier serving) throws IOException {
    return start(address, telemetry, pages, Map.of(), serving);
  }

  private static HttpEndpoint start(InetSocketAddress address, Telemetry telemetry,
      Map<String, Page> pages, Map<String, Action> actions, BooleanSupplier serving)
      throws IOException {
    if (address.isUnresolved()) {
      throw new IOException(address.getHostString() + " is not a known address");
    }
    HttpServer server = HttpServer.create(address, 16);
    Map<String, Page> all = new LinkedHashMap<>(pages);
    all.put("/metrics", new Page(Telemetry.prometheusContentType(),
        path -> path.equals("/metrics") ? telemetry::writePrometheus : null));
    all.forEach((prefix, page) -> server.createContext(prefix,
        exchange -> serve(exchange, page, actions)));
    server.createContext("/healthz", exchange -> {
      try (exchange) {
        boolean up = serving.getAsBoolean();
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        text(exchange, up ? 200 : 503, up ? "SERVING" : "NOT_SERVING");
      }
    });
    ExecutorService executor = Executors.newFixedThreadPool(2, DaemonThreads.named("http"));
    server.setExecutor(executor);
    server.start();
    log.info(() -> "HTTP (/metrics, /healthz" + (pages.isEmpty() ? "" : ", " + String.join(", ",
        pages.keySet())) + ") on port " + server.getAddress().getPort());
    return new HttpEndpoint(server, executor);
  }

  private static void serve(HttpExchange exchange, Page page, Map<String, Action> actions)
      throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getPath();
      Action action = actions.get(path);
      if (action != null) {
        act(exchange, path, action);
        return;
      }
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        text(exchange, 405, "only GET and HEAD are served here");
        return;
      }
      Body body;
      ByteArrayOutputStream buffer = new ByteArrayOutputStream();
      try {
        body = page.writer().render(path);
        if (body != null) {
          body.write(buffer);
        }
      } catch (IOException | RuntimeException e) {
        log.log(Level.WARNING, "HTTP " + path + " failed", e);
        text(exchange, 500, "cannot render " + path + ": " + e.getMessage());
        return;
      }
      if (body == null) {
        text(exchange, 404, "nothing at " + path);
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", page.contentType());
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      send(exchange, 200, buffer.toByteArray());
    }
  }

  private static void act(HttpExchange exchange, String path, Action action) throws IOException {
    if (!exchange.getRequestMethod().equals("POST")) {
      exchange.getResponseHeaders().set("Allow", "POST");
      text(exchange, 405, "only POST is taken here");
      return;
    }
    byte[] body = exchange.getRequestBody().readNBytes(MAX_BODY + 1);
    if (body.length > MAX_BODY) {
      text(exchange, 413, "a request body may be at most " + MAX_BODY + " bytes");
      return;
    }
    Reply reply;
    try {
      reply = action.handle(new Request(path, exchange.getRequestHeaders(), body,
          exchange.getRemoteAddress().getAddress()));
    } catch (IOException | RuntimeException e) {
      log.log(Level.WARNING, "HTTP POST " + path + " failed", e);
      text(exchange, 500, "cannot do " + path + ": " + e.getMessage());
      return;
    }
    exchange.getResponseHeaders().set("Content-Type", reply.contentType());
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    send(exchange, reply.status(), reply.body());
  }

  private static void text(HttpExchange exchange, int status, String message) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    send(exchange, status, (message + "\n").getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange exchange, int status, byte[] bytes) throws IOException {
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      exchange.getResponseBody().write(bytes);
    }
  }

  /** The port it listens on (the actual one when 0 was asked). */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
