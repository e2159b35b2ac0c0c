package io.minibit.tracker;

import io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelFuture;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.ChannelInitializer;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoop;
import io.grpc.netty.shaded.io.netty.util.concurrent.ScheduledFuture;
import io.minibit.core.ErrorCode;
import io.minibit.core.MinibitException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The calls a tracker makes to Redis on every announce and heartbeat, on one connection served
 * by a Netty event loop. Commands are written as they come and flushed once per turn of the loop,
 * and Redis answers in order, so one write and one read carry every call of that turn. Given the
 * tracker's own network thread, an announce is read, sent to Redis, answered and written back on
 * that one thread, with no other thread woken for it.
 *
 * <p>The connection is opened on first use and again after it breaks. A call fails with
 * UNAVAILABLE when Redis cannot be reached, when the connection breaks before Redis answers it,
 * or when Redis has not answered within the timeout (the connection is then dropped). Calls and
 * their futures complete on the event loop. Thread-safe: every field below is touched on the
 * event loop alone, and calls from other threads are handed to it.
 */
final class RedisPipeline implements AutoCloseable {
  private static final byte[] EVALSHA = bytes("EVALSHA");
  private static final byte[] EVAL = bytes("EVAL");
  private static final byte[] HRANDFIELD = bytes("HRANDFIELD");
  private static final byte[] WITHVALUES = bytes("WITHVALUES");

  /** A script's reply, and the hash entries drawn after it (field, value). */
  record Sampled(Object reply, List<Map.Entry<byte[], byte[]>> drawn) {}

  /** What to tell callers when Redis refuses a command or cannot be reached. */
  interface Failures {
    /** Redis answered {@code message}, an error reply, to what the tracker was doing. */
    MinibitException refused(String what, String message);

    /** Redis could not be reached, or did not answer: {@code why}. */
    MinibitException unreachable(String what, String why);
  }

  private final RedisAddress address;
  private final Bootstrap bootstrap;
  private final EventLoop loop;
  private final Failures failures;
  private final long timeoutNanos;

  private Channel channel;
  private boolean connecting;
  private boolean closed;
  private boolean flushQueued;
  /** Why the connection is being dropped, for the calls it fails. */
  private String dropReason;
  private ScheduledFuture<?> watchdog;
  /** Written, waiting for their replies, in order. */
  private final ArrayDeque<Command> sent = new ArrayDeque<>();
  /** Waiting for the connection to open. */
  private final ArrayDeque<Command> waiting = new ArrayDeque<>();

  /** A command and its reply to come. */
  private record Command(byte[][] words, CompletableFuture<Object> reply, long sentAt) {}

  /**
   * @param bootstrap a client bootstrap on the event loop group to run on (one loop of it is
   *     used)
   */
  RedisPipeline(RedisAddress address, Bootstrap bootstrap, Duration timeout,
      Failures failures) {
    this.address = address;
    this.loop = bootstrap.config().group().next();
    this.bootstrap = bootstrap.clone(loop)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeout.toMillis())
        .remoteAddress(address.host(), address.port())
        .handler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel channel) {
            channel.pipeline().addLast(new Resp.Decoder(), new Replies());
          }
        });
    this.failures = failures;
    this.timeoutNanos = timeout.toNanos();
  }

  /** Runs {@code script}; completes with its reply, on the event loop. */
  CompletableFuture<Object> run(String what, LuaScript script, List<byte[]> keys,
      List<byte[]> args) {
    CompletableFuture<Object> reply = send(script(EVALSHA, script.sha1(), keys, args));
    return answered(what, reply.exceptionallyCompose(e -> isNoScript(e)
        // a Redis restarted since the script was first sent: EVAL sends it whole, and caches it
        ? send(script(EVAL, script.source(), keys, args))
        : CompletableFuture.failedFuture(e)));
  }

  /**
   * Runs {@code script}, then draws {@code count} distinct entries of {@code hash} at random:
   * after the script, not atomically with it. If Redis had lost the script, the draw ran before
   * it (sent again whole): a moment's older swarm.
   */
  CompletableFuture<Sampled> runThenSample(String what, LuaScript script, List<byte[]> keys,
      List<byte[]> args, byte[] hash, long count) {
    CompletableFuture<Object> reply = run(what, script, keys, args);
    CompletableFuture<Object> draw = answered(what,
        send(new byte[][] {HRANDFIELD, hash, number(count), WITHVALUES}));
    return reply.thenCombine(draw, (r, drawn) -> new Sampled(r, entries((List<?>) drawn)));
  }

  private static List<Map.Entry<byte[], byte[]>> entries(List<?> flat) {
    List<Map.Entry<byte[], byte[]>> entries = new ArrayList<>(flat.size() / 2);
    for (int i = 0; i + 1 < flat.size(); i += 2) {
      entries.add(new AbstractMap.SimpleImmutableEntry<>((byte[]) flat.get(i),
          (byte[]) flat.get(i + 1)));
    }
    return entries;
  }

  private static byte[][] script(byte[] verb, byte[] script, List<byte[]> keys,
      List<byte[]> args) {
    byte[][] words = new byte[3 + keys.size() + args.size()][];
    words[0] = verb;
    words[1] = script;
    words[2] = number(keys.size());
    int i = 3;
    for (byte[] key : keys) {
      words[i++] = key;
    }
    for (byte[] arg : args) {
      words[i++] = arg;
    }
    return words;
  }

  private static boolean isNoScript(Throwable e) {
    return unwrap(e) instanceof RefusedException refused
        && refused.getMessage().startsWith("NOSCRIPT");
  }

  /** {@code reply}, its failures told as {@link #failures} tell them. */
  private CompletableFuture<Object> answered(String what, CompletableFuture<Object> reply) {
    return reply.handle((value, e) -> {
      if (e == null) {
        return value;
      }
      Throwable cause = unwrap(e);
      throw cause instanceof RefusedException refused
          ? failures.refused(what, refused.getMessage())
          : failures.unreachable(what, cause.getMessage());
    });
  }

  private static Throwable unwrap(Throwable e) {
    return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
  }

  /** Sends {@code words} as one command; completes with its reply, or fails. */
  private CompletableFuture<Object> send(byte[][] words) {
    CompletableFuture<Object> reply = new CompletableFuture<>();
    if (loop.inEventLoop()) {
      dispatch(words, reply);
    } else {
      try {
        loop.execute(() -> dispatch(words, reply));
      } catch (RejectedExecutionException e) {
        reply.completeExceptionally(new LostException("the tracker is shutting down"));
      }
    }
    return reply;
  }

  private void dispatch(byte[][] words, CompletableFuture<Object> reply) {
    if (closed) {
      reply.completeExceptionally(new LostException("the tracker is shutting down"));
      return;
    }
    Command command = new Command(words, reply, System.nanoTime());
    if (channel != null && channel.isActive()) {
      write(command);
      return;
    }
    waiting.add(command);
    if (!connecting) {
      connect();
    }
  }

  private void write(Command command) {
    sent.add(command);
    channel.write(Resp.encode(channel.alloc(), command.words()), channel.voidPromise());
    if (!flushQueued) {
      // after whatever else this turn of the loop writes
      flushQueued = true;
      loop.execute(this::flush);
    }
    if (watchdog == null) {
      watchdog = loop.scheduleAtFixedRate(this::watch, timeoutNanos / 2, timeoutNanos / 2,
          TimeUnit.NANOSECONDS);
    }
  }

  private void flush() {
    flushQueued = false;
    if (channel != null) {
      channel.flush();
    }
  }

  /** Drops a connection whose oldest command Redis has not answered within the timeout. */
  private void watch() {
    Command oldest = sent.peek();
    if (oldest == null) {
      watchdog.cancel(false);
      watchdog = null;
    } else if (System.nanoTime() - oldest.sentAt() > timeoutNanos && channel != null) {
      drop(channel, "no answer within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
    }
  }

  private void drop(Channel broken, String reason) {
    dropReason = reason;
    broken.close();
  }

  private void connect() {
    connecting = true;
    ChannelFuture opening = bootstrap.connect();
    opening.addListener(done -> {
      connecting = false;
      if (!done.isSuccess()) {
        failAll(waiting, "unreachable (" + describe(done.cause()) + ")");
        return;
      }
      channel = opening.channel();
      if (closed) {
        channel.close();
        return;
      }
      handshake();
      while (!waiting.isEmpty()) {
        write(waiting.poll());
      }
    });
  }

  /** Logs in and picks the database, ahead of the calls waiting; a refusal drops the line. */
  private void handshake() {
    List<byte[][]> commands = new ArrayList<>();
    if (address.password().isPresent()) {
      commands.add(address.user()
          .map(user -> new byte[][] {bytes("AUTH"), bytes(user), bytes(address.password().get())})
          .orElseGet(() -> new byte[][] {bytes("AUTH"), bytes(address.password().get())}));
    }
    if (address.database() != 0) {
      commands.add(new byte[][] {bytes("SELECT"), number(address.database())});
    }
    commands.add(new byte[][] {bytes("CLIENT"), bytes("SETNAME"), bytes("minibit-tracker")});
    Channel opened = channel;
    for (byte[][] words : commands) {
      CompletableFuture<Object> reply = new CompletableFuture<>();
      reply.whenComplete((value, e) -> {
        if (e != null && opened.isActive()) {
          drop(opened, "it refused " + new String(words[0], StandardCharsets.US_ASCII) + ": "
              + unwrap(e).getMessage());
        }
      });
      write(new Command(words, reply, System.nanoTime()));
    }
  }

  private void failAll(ArrayDeque<Command> commands, String why) {
    Command command;
    while ((command = commands.poll()) != null) {
      command.reply().completeExceptionally(new LostException(why));
    }
  }

  private static String describe(Throwable e) {
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  /** Hands each reply to the oldest command waiting for one; fails them all on a break. */
  private final class Replies extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext context, Object message) {
      Command command = sent.poll();
      if (command == null) {
        drop(context.channel(), "it answered a command never sent");
        return;
      }
      if (message instanceof Resp.Error error) {
        command.reply().completeExceptionally(new RefusedException(error.message()));
      } else {
        command.reply().complete(message == Resp.Nil.NIL ? null : message);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
      drop(context.channel(), describe(cause));
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
      if (channel == context.channel()) {
        channel = null;
      }
      String reason = dropReason != null ? dropReason : "the connection closed";
      dropReason = null;
      failAll(sent, reason);
      if (!waiting.isEmpty() && !connecting && !closed) {
        connect();
      }
    }
  }

  /** Fails what is waiting and sent, and closes the connection; the loop is the caller's. */
  @Override
  public void close() {
    Runnable closing = () -> {
      closed = true;
      failAll(waiting, "the tracker is shutting down");
      if (channel != null) {
        drop(channel, "the tracker is shutting down");
      }
    };
    if (loop.inEventLoop()) {
      closing.run();
    } else {
      try {
        loop.submit(closing).awaitUninterruptibly(timeoutNanos, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        // the loop stopped first: its connection went with it
      }
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] number(long n) {
    return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
  }

  /** Redis answered a command with an error reply. */
  private static final class RefusedException extends RuntimeException {
    RefusedException(String message) {
      super(message, null, false, false);
    }
  }

  /** A command that got no reply: the connection could not open, or broke first. */
  private static final class LostException extends RuntimeException {
    LostException(String message) {
      super(message, null, false, false);
    }
  }
}
