package io.minibit.core.http;

import com.sun.net.httpserver.Headers;
import io.minibit.core.DaemonThreads;
import io.minibit.core.telemetry.Telemetry;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A service's small HTTP/1.1 server: {@code /metrics} in the Prometheus text format, plus
 * whatever pages the service adds, and the POST actions it takes. Pages answer GET and HEAD, an
 * action POST only; an unknown path is a 404 and a failing handler a 500 with a one-line
 * message, never a stack trace.
 *
 * <p>One thread waits in {@code accept} and at most {@link #WORKERS} answer, one request per
 * connection (every answer closes its connection). While no request comes, nothing wakes: the
 * JDK's server, used before, woke its dispatcher every second, which was most of an idle
 * tracker's CPU. A request's line and headers may take at most {@link #MAX_HEAD} bytes and a
 * body {@link #MAX_BODY}; a client that sends nothing for the read timeout loses its
 * connection, and connections beyond those waiting for a worker are closed at once.
 * Thread-safe.
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
  /** A request's line and headers may be at most this long, and count at most MAX_HEADERS. */
  static final int MAX_HEAD = 16 * 1024;
  static final int MAX_HEADERS = 100;
  /** How long a client may send nothing before its connection is closed. */
  static final Duration READ_TIMEOUT = Duration.ofSeconds(10);
  private static final int WORKERS = 2;
  /** Connections accepted and waiting for a worker, at most. */
  private static final int WAITING = 16;
  private static final DateTimeFormatter DATE = DateTimeFormatter.RFC_1123_DATE_TIME;

  /** Answers a request; the endpoint writes the answer and closes the connection. */
  @FunctionalInterface
  private interface Handler {
    Answer handle(Incoming request) throws IOException;
  }

  /** A request as read: its method and the rest, as an action is given it. */
  private record Incoming(String method, Request request) {
    String path() {
      return request.path();
    }
  }

  /** A status, the headers to send beside the endpoint's own, and a body. */
  private record Answer(int status, Map<String, String> headers, byte[] body) {}

  /** A request that cannot be served as sent: answered with {@code status}. */
  private static final class Refusal extends Exception {
    final int status;

    Refusal(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  private final ServerSocket socket;
  private final ThreadPoolExecutor workers;
  /** Path prefixes and their handlers, the longest prefix first. */
  private final List<Map.Entry<String, Handler>> routes;
  private final int readTimeoutMillis;

  private HttpEndpoint(ServerSocket socket, Map<String, Handler> routes, Duration readTimeout) {
    this.socket = socket;
    this.routes = new ArrayList<>(routes.entrySet());
    this.routes.sort(Comparator.comparingInt(
        (Map.Entry<String, Handler> route) -> route.getKey().length()).reversed());
    this.readTimeoutMillis = Math.toIntExact(readTimeout.toMillis());
    this.workers = new ThreadPoolExecutor(WORKERS, WORKERS, 0, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(WAITING), DaemonThreads.named("http"));
  }

  /**
   * Listens on {@code port} (0 picks one) on every interface and serves {@code /metrics} from
   * {@code telemetry} and each of {@code pages} under its path prefix ("/" serves any path no
   * other prefix claims).
   */
  public static HttpEndpoint start(int port, Telemetry telemetry, Map<String, Page> pages)
      throws IOException {
    return start(new InetSocketAddress(port), telemetry, pages, Map.of(), () -> true,
        READ_TIMEOUT);
  }

  /**
   * As above, on {@code host} only (127.0.0.1: this machine's processes alone), with {@code
   * /healthz} answering 200 {@code SERVING} while {@code serving} holds and 503 {@code
   * NOT_SERVING} once it does not: a check a shell can make (the images' HEALTHCHECK does), where
   * a gRPC health check needs a client.
   */
  public static HttpEndpoint start(String host, int port, Telemetry telemetry,
      Map<String, Page> pages, BooleanSupplier serving) throws IOException {
    return start(host, port, telemetry, pages, Map.of(), serving);
  }

  /** As above, with each of {@code actions} taking POSTs at its exact path. */
  public static HttpEndpoint start(String host, int port, Telemetry telemetry,
      Map<String, Page> pages, Map<String, Action> actions, BooleanSupplier serving)
      throws IOException {
    return start(new InetSocketAddress(host, port), telemetry, pages, actions, serving,
        READ_TIMEOUT);
  }

  /** As above, on {@code host} with a read timeout of {@code readTimeout}: for tests. */
  static HttpEndpoint start(String host, Telemetry telemetry, Map<String, Page> pages,
      Map<String, Action> actions, Duration readTimeout) throws IOException {
    return start(new InetSocketAddress(host, 0), telemetry, pages, actions, () -> true,
        readTimeout);
  }

  private static HttpEndpoint start(InetSocketAddress address, Telemetry telemetry,
      Map<String, Page> pages, Map<String, Action> actions, BooleanSupplier serving,
      Duration readTimeout) throws IOException {
    if (address.isUnresolved()) {
      throw new IOException(address.getHostString() + " is not a known address");
    }
    Map<String, Page> all = new LinkedHashMap<>(pages);
    all.put("/metrics", new Page(Telemetry.prometheusContentType(),
        path -> path.equals("/metrics") ? telemetry::writePrometheus : null));
    Map<String, Handler> routes = new LinkedHashMap<>();
    all.forEach((prefix, page) -> routes.put(prefix, request -> serve(request, page, actions)));
    routes.put("/healthz", request -> {
      boolean up = serving.getAsBoolean();
      return text(up ? 200 : 503, up ? "SERVING" : "NOT_SERVING");
    });
    ServerSocket socket = new ServerSocket();
    try {
      socket.bind(address, 16);
    } catch (IOException e) {
      socket.close();
      throw e;
    }
    HttpEndpoint endpoint = new HttpEndpoint(socket, routes, readTimeout);
    DaemonThreads.named("http-accept").newThread(endpoint::acceptAll).start();
    log.info(() -> "HTTP (/metrics, /healthz" + (pages.isEmpty() ? "" : ", " + String.join(", ",
        pages.keySet())) + ") on port " + endpoint.port());
    return endpoint;
  }

  /** The acceptor's loop: hands each connection to a worker until the socket closes. */
  private void acceptAll() {
    while (!socket.isClosed()) {
      Socket connection;
      try {
        connection = socket.accept();
      } catch (IOException e) {
        if (!socket.isClosed()) {
          // Out of file descriptors, say: give the workers a moment to free some.
          log.log(Level.FINE, "HTTP accept failed", e);
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
        continue;
      }
      try {
        workers.execute(() -> answer(connection));
      } catch (RejectedExecutionException e) {
        closeQuietly(connection); // every worker busy and enough waiting, or closing
      }
    }
  }

  /** Reads one request from {@code connection}, answers it and closes the connection. */
  private void answer(Socket connection) {
    try (connection) {
      connection.setSoTimeout(readTimeoutMillis);
      InputStream in = new BufferedInputStream(connection.getInputStream());
      String method = "GET";
      Answer answer;
      try {
        Incoming request = read(in, connection.getInetAddress());
        method = request.method();
        answer = route(request);
      } catch (Refusal e) {
        answer = text(e.status, e.getMessage());
      }
      OutputStream out = new BufferedOutputStream(connection.getOutputStream());
      write(out, answer, method.equals("HEAD"));
      out.flush();
    } catch (IOException e) {
      // The client went away or sent nothing in time: there is no one to answer.
    }
  }

  private Answer route(Incoming request) throws IOException {
    for (Map.Entry<String, Handler> route : routes) {
      if (request.path().startsWith(route.getKey())) {
        return route.getValue().handle(request);
      }
    }
    return text(404, "nothing at " + request.path());
  }

  private static Answer serve(Incoming request, Page page, Map<String, Action> actions) {
    String path = request.path();
    Action action = actions.get(path);
    if (action != null) {
      return act(request, action);
    }
    if (!request.method().equals("GET") && !request.method().equals("HEAD")) {
      return withHeader(text(405, "only GET and HEAD are served here"), "Allow", "GET, HEAD");
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
      return text(500, "cannot render " + path + ": " + e.getMessage());
    }
    if (body == null) {
      return text(404, "nothing at " + path);
    }
    return new Answer(200, Map.of("Content-Type", page.contentType()), buffer.toByteArray());
  }

  private static Answer act(Incoming request, Action action) {
    if (!request.method().equals("POST")) {
      return withHeader(text(405, "only POST is taken here"), "Allow", "POST");
    }
    Reply reply;
    try {
      reply = action.handle(request.request());
    } catch (IOException | RuntimeException e) {
      log.log(Level.WARNING, "HTTP POST " + request.path() + " failed", e);
      return text(500, "cannot do " + request.path() + ": " + e.getMessage());
    }
    return new Answer(reply.status(), Map.of("Content-Type", reply.contentType()), reply.body());
  }

  /** Reads a request's line, headers and body (a POST's, up to {@link #MAX_BODY} bytes). */
  private static Incoming read(InputStream in, InetAddress caller)
      throws IOException, Refusal {
    int[] budget = {MAX_HEAD};
    String line = readLine(in, budget);
    while (line.isEmpty()) { // stray line ends before a request are to be ignored
      line = readLine(in, budget);
    }
    String[] parts = line.split(" ", -1);
    if (parts.length != 3 || !parts[0].matches("[A-Z]{1,16}") || !parts[2].startsWith("HTTP/1.")) {
      throw new Refusal(400, "not an HTTP/1.1 request line");
    }
    Headers headers = new Headers();
    int count = 0;
    for (String header = readLine(in, budget); !header.isEmpty(); header = readLine(in, budget)) {
      int colon = header.indexOf(':');
      if (colon <= 0 || header.charAt(0) == ' ' || header.charAt(0) == '\t'
          || header.substring(0, colon).contains(" ")) {
        throw new Refusal(400, "malformed header line");
      }
      if (++count > MAX_HEADERS) {
        throw new Refusal(431, "more than " + MAX_HEADERS + " header lines");
      }
      headers.add(header.substring(0, colon), header.substring(colon + 1).strip());
    }
    return new Incoming(parts[0],
        new Request(path(parts[1]), headers, body(in, headers), caller));
  }

  /** The decoded path of a request target (origin or absolute form). */
  private static String path(String target) throws Refusal {
    try {
      String path = new URI(target).getPath();
      if (path == null || path.isEmpty()) {
        return "/";
      }
      return path;
    } catch (java.net.URISyntaxException e) {
      throw new Refusal(400, "not a request target: " + target);
    }
  }

  private static byte[] body(InputStream in, Headers headers) throws IOException, Refusal {
    if (headers.containsKey("Transfer-Encoding")) {
      throw new Refusal(411, "a request body needs a Content-Length");
    }
    String length = headers.getFirst("Content-Length");
    if (length == null) {
      return new byte[0];
    }
    long bytes;
    try {
      bytes = Long.parseLong(length.strip());
    } catch (NumberFormatException e) {
      throw new Refusal(400, "Content-Length is not a number: " + length);
    }
    if (bytes < 0) {
      throw new Refusal(400, "Content-Length is negative: " + length);
    }
    if (bytes > MAX_BODY) {
      throw new Refusal(413, "a request body may be at most " + MAX_BODY + " bytes");
    }
    byte[] body = in.readNBytes((int) bytes);
    if (body.length < bytes) {
      throw new IOException("the request body ended early");
    }
    return body;
  }

  /**
   * One line of a request's head, without its CRLF (or bare LF), charged to {@code budget}; a
   * head longer than the budget is refused with 431.
   */
  private static String readLine(InputStream in, int[] budget) throws IOException, Refusal {
    StringBuilder line = new StringBuilder();
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("the request ended early");
      }
      if (--budget[0] < 0) {
        throw new Refusal(431, "a request line and its headers may be at most " + MAX_HEAD
            + " bytes");
      }
      if (b == '\n') {
        int end = line.length();
        return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1)
            : line.toString();
      }
      line.append((char) b); // a header's bytes as ISO-8859-1, as HTTP/1.1 has them
    }
  }

  private static void write(OutputStream out, Answer answer, boolean head) throws IOException {
    StringBuilder lines = new StringBuilder()
        .append("HTTP/1.1 ").append(answer.status()).append(' ').append(reason(answer.status()))
        .append("\r\nDate: ").append(DATE.format(ZonedDateTime.now(ZoneOffset.UTC)))
        .append("\r\nCache-Control: no-store");
    answer.headers().forEach((name, value) ->
        lines.append("\r\n").append(name).append(": ").append(value));
    lines.append("\r\nContent-Length: ").append(answer.body().length)
        .append("\r\nConnection: close\r\n\r\n");
    out.write(lines.toString().getBytes(StandardCharsets.ISO_8859_1));
    if (!head) {
      out.write(answer.body());
    }
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 201 -> "Created";
      case 202 -> "Accepted";
      case 204 -> "No Content";
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 409 -> "Conflict";
      case 411 -> "Length Required";
      case 413 -> "Content Too Large";
      case 415 -> "Unsupported Media Type";
      case 431 -> "Request Header Fields Too Large";
      case 500 -> "Internal Server Error";
      case 503 -> "Service Unavailable";
      default -> "";
    };
  }

  private static Answer text(int status, String message) {
    return new Answer(status, Map.of("Content-Type", "text/plain; charset=utf-8"),
        (message + "\n").getBytes(StandardCharsets.UTF_8));
  }

  private static Answer withHeader(Answer answer, String name, String value) {
    Map<String, String> headers = new LinkedHashMap<>(answer.headers());
    headers.put(name, value);
    return new Answer(answer.status(), headers, answer.body());
  }

  private static void closeQuietly(Socket connection) {
    try {
      connection.close();
    } catch (IOException e) {
      // closing a connection nobody answered: nothing to tell
    }
  }

  /** The port it listens on (the actual one when 0 was asked). */
  public int port() {
    return socket.getLocalPort();
  }

  /** Stops listening, and stops the answers under way. */
  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      log.log(Level.FINE, "closing the HTTP socket failed", e);
    }
    workers.shutdownNow();
  }
}
