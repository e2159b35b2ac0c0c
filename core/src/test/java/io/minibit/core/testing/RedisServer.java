package io.minibit.core.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (Debian's package; {@code make deps} installs it) on a free
 * loopback port, its files in a directory of the test's: what the tracker's Redis store is
 * tested against. {@link #stop()} and {@link #start()} again restart it on the same port and
 * files, as an operator's restart would. Close it to kill it.
 */
public final class RedisServer implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

  private final Path directory;
  private final boolean appendOnly;
  private final int port;
  private Process process;

  private RedisServer(Path directory, boolean appendOnly, int port) {
    this.directory = directory;
    this.appendOnly = appendOnly;
    this.port = port;
  }

  /**
   * Starts a Redis keeping its files in {@code directory}, with AOF persistence (fsync every
   * second) if {@code appendOnly}, else with no persistence at all.
   */
  public static RedisServer start(Path directory, boolean appendOnly) throws IOException {
    Files.createDirectories(directory);
    RedisServer server = new RedisServer(directory, appendOnly, FreePorts.next());
    server.start();
    return server;
  }

  /** Starts the server again after {@link #stop()}, on the same port and files. */
  public void start() throws IOException {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("redis-server is running already");
    }
    List<String> command = new ArrayList<>(List.of("redis-server",
        "--port", Integer.toString(port), "--bind", "127.0.0.1", "--dir", directory.toString(),
        "--save", "", "--daemonize", "no", "--protected-mode", "yes",
        "--logfile", directory.resolve("redis.log").toString()));
    if (appendOnly) {
      command.addAll(List.of("--appendonly", "yes", "--appendfsync", "everysec"));
    }
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(directory.resolve("redis.out").toFile()).start();
    } catch (IOException e) {
      throw new IOException("cannot start redis-server (make deps installs Debian's"
          + " redis-server): " + e.getMessage(), e);
    }
    Await.until(START_TIMEOUT, "redis-server answers PING on port " + port,
        () -> process.isAlive() && "+PONG".equals(command("PING")));
  }

  /** Shuts the server down as SHUTDOWN does: the AOF is flushed first. */
  public void stop() throws InterruptedException {
    if (process == null) {
      return;
    }
    process.destroy(); // SIGTERM: Redis saves what it is configured to save, then exits
    if (!process.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }

  public int port() {
    return port;
  }

  /** The store address a tracker takes: {@code redis://127.0.0.1:PORT}. */
  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /**
   * Sends one inline command and returns the first line of its reply ({@code +PONG},
   * {@code :3}, ...), or null if the server cannot be reached.
   */
  public String command(String inline) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      socket.setSoTimeout(5000);
      socket.getOutputStream().write((inline + "\r\n").getBytes(StandardCharsets.UTF_8));
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = socket.getInputStream().read()) != -1 && c != '\r') {
        line.append((char) c);
      }
      return line.toString();
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public void close() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
