package io.minibit.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A TCP proxy on 127.0.0.1 that makes a local target look far away: every chunk of bytes is
 * delivered {@link #delay()} after the proxy read it, in order, in both directions, so a round
 * trip costs twice the delay while a stream still flows at full speed (reading never waits for the
 * delay, only for the per-direction cap of queued bytes). End of stream is passed on as a
 * half-close once the bytes before it are delivered; a reset or write failure on either side
 * closes both with a reset. Each accepted connection gets its own connection to the target.
 *
 * <p>Thread-safe. {@link #close()} stops listening, closes every connection and joins every thread
 * the proxy started (all daemons), so a closed proxy leaves nothing running.
 */
public final class DelayProxy implements AutoCloseable {
  /** The most bytes one read takes, so the most bytes a single delayed chunk holds. */
  static final int MAX_CHUNK_BYTES = 64 * 1024;
  /** Bytes queued in one direction of one connection beyond which the proxy stops reading. */
  static final int MAX_QUEUED_BYTES = 4 * 1024 * 1024;

  private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
  private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(5);

  private final InetSocketAddress target;
  private final ServerSocket listener;
  private final Thread acceptor;
  private final String threadPrefix;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicInteger connectionIds = new AtomicInteger();
  private final AtomicLong bytesToTarget = new AtomicLong();
  private final AtomicLong bytesToClient = new AtomicLong();
  /** Connections not yet known to be finished; guarded by itself. */
  private final List<Connection> connections = new ArrayList<>();
  private volatile long delayNanos;

  private DelayProxy(InetSocketAddress target, Duration oneWayDelay, ServerSocket listener) {
    this.target = target;
    this.listener = listener;
    this.delayNanos = checkDelay(oneWayDelay);
    this.threadPrefix = "delay-proxy-" + listener.getLocalPort();
    this.acceptor = daemon(threadPrefix + "-accept", this::acceptLoop);
  }

  /**
   * Listens on a free port of 127.0.0.1 and forwards every connection to {@code target}, each
   * chunk {@code oneWayDelay} late.
   */
  public static DelayProxy start(InetSocketAddress target, Duration oneWayDelay)
      throws IOException {
    Objects.requireNonNull(target, "target");
    checkDelay(oneWayDelay);
    ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    DelayProxy proxy = new DelayProxy(target, oneWayDelay, listener);
    proxy.acceptor.start();
    return proxy;
  }

  /** The port the proxy listens on. */
  public int port() {
    return listener.getLocalPort();
  }

  /** {@code "127.0.0.1:PORT"}, a target for a gRPC channel builder. */
  public String address() {
    return "127.0.0.1:" + port();
  }

  /** The one-way delay given to chunks read from now on. */
  public Duration delay() {
    return Duration.ofNanos(delayNanos);
  }

  /**
   * Sets the one-way delay for chunks read from now on; chunks already queued keep theirs, and
   * order is kept even when the delay shrinks.
   */
  public void setDelay(Duration oneWayDelay) {
    delayNanos = checkDelay(oneWayDelay);
  }

  /** Bytes delivered to the target so far, over all connections. */
  public long bytesForwardedToTarget() {
    return bytesToTarget.get();
  }

  /** Bytes delivered back to the clients so far, over all connections. */
  public long bytesForwardedToClient() {
    return bytesToClient.get();
  }

  /**
   * Stops listening, closes every connection (bytes still queued are dropped) and waits for the
   * proxy's threads to end. Idempotent.
   *
   * @throws IllegalStateException if a thread is still running after a few seconds
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    closeQuietly(listener);
    join(acceptor); // after this no connection can be added
    List<Connection> live;
    synchronized (connections) {
      live = new ArrayList<>(connections);
      connections.clear();
    }
    for (Connection connection : live) {
      connection.abort(false);
    }
    for (Connection connection : live) {
      connection.join();
    }
  }

  @Override
  public String toString() {
    return "DelayProxy{" + address() + " -> " + target + ", delay=" + delay() + "}";
  }

  private void acceptLoop() {
    while (!closed.get()) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return; // the listener was closed
      }
      Socket upstream = new Socket();
      try {
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        upstream.connect(target, CONNECT_TIMEOUT_MILLIS);
      } catch (IOException e) {
        reset(client); // as close as a proxy gets to "connection refused"
        closeQuietly(upstream);
        continue;
      }
      Connection connection =
          new Connection(threadPrefix + "-c" + connectionIds.incrementAndGet(), client, upstream);
      synchronized (connections) {
        connections.removeIf(Connection::isFinished);
        connections.add(connection);
      }
      connection.start();
    }
  }

  /** One client connection and its connection to the target: two pipes, four threads. */
  private final class Connection {
    private final Socket client;
    private final Socket upstream;
    private final Pipe toTarget;
    private final Pipe toClient;
    private final AtomicBoolean aborted = new AtomicBoolean();
    private final AtomicInteger openDirections = new AtomicInteger(2);

    Connection(String name, Socket client, Socket upstream) {
      this.client = client;
      this.upstream = upstream;
      this.toTarget = new Pipe(name + "-to-target", this, client, upstream, bytesToTarget);
      this.toClient = new Pipe(name + "-to-client", this, upstream, client, bytesToClient);
    }

    void start() {
      toTarget.start();
      toClient.start();
    }

    /** Called by a pipe once it has passed its end of stream on. */
    void directionDone() {
      if (openDirections.decrementAndGet() == 0) {
        closeQuietly(client);
        closeQuietly(upstream);
      }
    }

    /** Drops queued bytes and closes both sockets, with a reset if {@code reset}. */
    void abort(boolean reset) {
      if (!aborted.compareAndSet(false, true)) {
        return;
      }
      toTarget.abort();
      toClient.abort();
      if (reset) {
        reset(client);
        reset(upstream);
      } else {
        closeQuietly(client);
        closeQuietly(upstream);
      }
    }

    boolean isFinished() {
      return toTarget.isFinished() && toClient.isFinished();
    }

    void join() {
      toTarget.join();
      toClient.join();
    }
  }

  /**
   * One direction of a connection: a reader that stamps each chunk with its due time and a writer
   * that delivers chunks in order once due. The queue and its byte count are guarded by
   * {@code lock}.
   */
  private final class Pipe {
    private final Connection connection;
    private final Socket from;
    private final Socket to;
    private final AtomicLong delivered;
    private final Thread reader;
    private final Thread writer;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Chunk> queue = new ArrayDeque<>();
    private long queuedBytes;
    private boolean aborted;

    Pipe(String name, Connection connection, Socket from, Socket to, AtomicLong delivered) {
      this.connection = connection;
      this.from = from;
      this.to = to;
      this.delivered = delivered;
      this.reader = daemon(name + "-read", this::readLoop);
      this.writer = daemon(name + "-write", this::writeLoop);
    }

    void start() {
      reader.start();
      writer.start();
    }

    private void readLoop() {
      byte[] buffer = new byte[MAX_CHUNK_BYTES];
      try {
        InputStream in = from.getInputStream();
        while (awaitRoom()) {
          int read = in.read(buffer);
          long due = System.nanoTime() + delayNanos;
          if (read < 0) {
            enqueue(new Chunk(due, null));
            return;
          }
          enqueue(new Chunk(due, Arrays.copyOf(buffer, read)));
        }
      } catch (IOException | InterruptedException e) {
        connection.abort(true); // a reset or failed write on either side ends both
      }
    }

    private void writeLoop() {
      try {
        OutputStream out = to.getOutputStream();
        for (Chunk chunk = nextDue(); chunk != null; chunk = nextDue()) {
          if (chunk.isEndOfStream()) {
            to.shutdownOutput();
            connection.directionDone();
            return;
          }
          out.write(chunk.bytes());
          delivered.addAndGet(chunk.bytes().length);
          release(chunk.bytes().length);
        }
      } catch (IOException | InterruptedException e) {
        connection.abort(true); // a reset or failed write on either side ends both
      }
    }

    /** Waits while the queue is full; false once the pipe is aborted. */
    private boolean awaitRoom() throws InterruptedException {
      lock.lock();
      try {
        while (!aborted && queuedBytes >= MAX_QUEUED_BYTES) {
          changed.await();
        }
        return !aborted;
      } finally {
        lock.unlock();
      }
    }

    private void enqueue(Chunk chunk) {
      lock.lock();
      try {
        queue.addLast(chunk);
        queuedBytes += chunk.length();
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }

    /** The head of the queue once it is due, or null once the pipe is aborted. */
    private Chunk nextDue() throws InterruptedException {
      lock.lock();
      try {
        while (!aborted) {
          Chunk head = queue.peekFirst();
          if (head == null) {
            changed.await();
            continue;
          }
          long wait = head.dueNanos() - System.nanoTime();
          if (wait <= 0) {
            return queue.pollFirst();
          }
          changed.awaitNanos(wait);
        }
        return null;
      } finally {
        lock.unlock();
      }
    }

    private void release(int bytes) {
      lock.lock();
      try {
        queuedBytes -= bytes;
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }

    void abort() {
      lock.lock();
      try {
        aborted = true;
        queue.clear();
        queuedBytes = 0;
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }

    boolean isFinished() {
      return !reader.isAlive() && !writer.isAlive();
    }

    void join() {
      DelayProxy.join(reader);
      DelayProxy.join(writer);
    }
  }

  /** Bytes read at some instant and due at {@code dueNanos}; null bytes mark end of stream. */
  private record Chunk(long dueNanos, byte[] bytes) {
    boolean isEndOfStream() {
      return bytes == null;
    }

    int length() {
      return bytes == null ? 0 : bytes.length;
    }
  }

  private static long checkDelay(Duration delay) {
    Objects.requireNonNull(delay, "oneWayDelay");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative: " + delay);
    }
    return delay.toNanos();
  }

  private static Thread daemon(String name, Runnable body) {
    Thread thread = new Thread(body, name);
    thread.setDaemon(true);
    return thread;
  }

  private static void join(Thread thread) {
    boolean interrupted = false;
    long deadline = System.nanoTime() + JOIN_TIMEOUT.toNanos();
    while (thread.isAlive() && deadline - System.nanoTime() > 0) {
      try {
        thread.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      throw new IllegalStateException("proxy thread did not end: " + thread.getName());
    }
  }

  /** Closes with SO_LINGER 0, so the peer sees a reset rather than an end of stream. */
  private static void reset(Socket socket) {
    try {
      socket.setSoLinger(true, 0);
    } catch (SocketException e) {
      // already closed: nothing to reset
    }
    closeQuietly(socket);
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      // closing is best effort; the socket is unusable either way
    }
  }
}
