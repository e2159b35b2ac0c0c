package io.minibit.it;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A headless Chromium (Debian's {@code chromium}) showing one page, driven over the DevTools
 * protocol: evaluate JavaScript in the page, take screenshots. A fresh profile each time; the
 * browser is killed on {@link #close()}.
 */
final class Chromium implements AutoCloseable {
  static final Path BINARY = Path.of("/usr/bin/chromium");
  private static final Pattern DEVTOOLS = Pattern.compile("DevTools listening on (ws://\\S+)");
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Process process;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();
  private WebSocket socket; // set once, by open()

  private Chromium(Process process) {
    this.process = process;
  }

  /** Starts the browser on {@code url}, its profile under {@code profile}. */
  static Chromium open(String url, Path profile) throws Exception {
    Process process = new ProcessBuilder(List.of(BINARY.toString(), "--headless",
        "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
        "--user-data-dir=" + Files.createDirectories(profile), "--remote-debugging-port=0",
        "--remote-allow-origins=*", "--window-size=1280,1100", url))
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    try {
      String browserSocket = devToolsAddress(process);
      // the page's own target: /json/list on the same host and port
      URI browser = URI.create(browserSocket);
      HttpClient http = HttpClient.newHttpClient();
      String pageSocket = io.minibit.core.testing.Await.until(TIMEOUT, "the page target",
          () -> pageTarget(http, browser, url), found -> found != null);
      Chromium chromium = new Chromium(process);
      chromium.socket = http.newWebSocketBuilder()
          .buildAsync(URI.create(pageSocket), chromium.listener())
          .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      return chromium;
    } catch (Exception | AssertionError e) {
      process.destroyForcibly();
      throw e;
    }
  }

  private WebSocket.Listener listener() {
    StringBuilder partial = new StringBuilder();
    return new WebSocket.Listener() {
      @Override
      public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
          JsonObject message = JsonParser.parseString(partial.toString()).getAsJsonObject();
          partial.setLength(0);
          if (message.has("id")) {
            CompletableFuture<JsonObject> reply =
                pending.remove(message.get("id").getAsInt());
            if (reply != null) {
              reply.complete(message);
            }
          }
        }
        webSocket.request(1);
        return null;
      }
    };
  }

  private static String devToolsAddress(Process process) throws Exception {
    CompletableFuture<String> address = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader err = new BufferedReader(
          new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
        StringBuilder seen = new StringBuilder();
        for (String line; (line = err.readLine()) != null; ) {
          Matcher matcher = DEVTOOLS.matcher(line);
          if (matcher.find()) {
            address.complete(matcher.group(1));
          } else if (!address.isDone()) {
            seen.append(line).append('\n');
          }
        }
        address.completeExceptionally(new AssertionError("chromium exited:\n" + seen));
      } catch (IOException e) {
        address.completeExceptionally(e);
      }
    }, "chromium-stderr");
    reader.setDaemon(true);
    reader.start();
    return address.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

  private static String pageTarget(HttpClient http, URI browser, String url) {
    try {
      var response = http.send(java.net.http.HttpRequest.newBuilder(URI.create(
          "http://" + browser.getHost() + ":" + browser.getPort() + "/json/list")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      for (var target : JsonParser.parseString(response.body()).getAsJsonArray()) {
        JsonObject page = target.getAsJsonObject();
        if (page.get("type").getAsString().equals("page")
            && page.get("url").getAsString().startsWith(url)) {
          return page.get("webSocketDebuggerUrl").getAsString();
        }
      }
      return null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Sends a DevTools command and waits for its result. */
  JsonObject call(String method, JsonObject params) throws Exception {
    int id = ids.incrementAndGet();
    CompletableFuture<JsonObject> reply = new CompletableFuture<>();
    pending.put(id, reply);
    JsonObject command = new JsonObject();
    command.addProperty("id", id);
    command.addProperty("method", method);
    command.add("params", params);
    socket.sendText(command.toString(), true).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    JsonObject message = reply.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    if (message.has("error")) {
      throw new AssertionError(method + " failed: " + message.get("error"));
    }
    return message.getAsJsonObject("result");
  }

  /** Evaluates {@code expression} in the page; returns its value as a string (JSON for objects). */
  String evaluate(String expression) throws Exception {
    JsonObject params = new JsonObject();
    params.addProperty("expression", "JSON.stringify(" + expression + ")");
    params.addProperty("returnByValue", true);
    JsonObject result = call("Runtime.evaluate", params).getAsJsonObject("result");
    return result.has("value") ? result.get("value").getAsString() : "null";
  }

  /** Saves a PNG of the page as it is now. */
  void screenshot(Path file) throws Exception {
    JsonObject params = new JsonObject();
    params.addProperty("format", "png");
    String data = call("Page.captureScreenshot", params).get("data").getAsString();
    Files.createDirectories(file.getParent());
    Files.write(file, Base64.getDecoder().decode(data));
  }

  @Override
  public void close() {
    if (socket != null) {
      socket.abort();
    }
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
