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
import io.minibit.core.DaemonThreads;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One connection to Redis served by a Netty event loop, pipelined: commands are written as they
 * come and flushed once per turn of the loop, and Redis answers in order, so each reply goes to
 * the oldest command written. Opened on first use, and again after it breaks: the host is looked
 * up off the loop, then AUTH and SELECT (as the address says) are answered before any command
 * waiting for the connection is written.
 *
 * <p>A command fails with {@link Refused} when Redis answers it with an error, and with
 * {@link Lost} when it gets no answer: Redis cannot be reached or refuses the login, the
 * connection breaks first, or Redis has not answered within the timeout (the connection is then
 * dropped). Replies complete on the event loop. Thread-safe: the state below is touched on the
 * event loop alone, and calls from other threads are handed to it.
 */
final class RedisConnection implements AutoCloseable {
  /** Looks hosts up, which blocks: never on the event loop. */
  private static final ExecutorService RESOLVER =
      Executors.newCachedThreadPool(DaemonThreads.named("tracker-redis-resolve"));

  private final RedisAddress address;
  private final Bootstrap bootstrap;
  private final EventLoop loop;
  private final long timeoutNanos;

  private Channel channel;
  /** The channel has logged in and picked its database: commands may go. */
  private boolean ready;
  /** A lookup, connect or login is under way. */
  private boolean connecting;
  private boolean closed;
  private boolean flushQueued;
  private ScheduledFuture<?> watchdog;
  /** Written, waiting for their replies, in order. */
  private final ArrayDeque<Sent> sent = new ArrayDeque<>();
  /** Waiting for the connection to be ready. */
  private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();

  private record Waiting(byte[][] words, CompletableFuture<Object> reply) {}

  private record Sent(CompletableFuture<Object> reply, long at) {}

  /** Redis answered a command with an error reply. */
  static final class Refused extends RuntimeException {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  /** A command that got no reply. */
  static final class Lost extends RuntimeException {
    Lost(String message) {
      super(message, null, false, false);
    }
  }

  /** @param bootstrap a client bootstrap on the event loop group to run on (one loop of it) */
  RedisConnection(RedisAddress address, Bootstrap bootstrap, Duration timeout) {
    this.address = address;
    this.loop = bootstrap.config().group().next();
    this.bootstrap = bootstrap.clone(loop)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeout.toMillis())
        .handler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel channel) {
            channel.pipeline().addLast(new Resp.Decoder(), new Replies());
          }
        });
    this.timeoutNanos = timeout.toNanos();
  }

  /** Sends {@code words} as one command; completes with its reply, or fails. */
  CompletableFuture<Object> send(byte[]... words) {
    CompletableFuture<Object> reply = new CompletableFuture<>();
    onLoop(() -> dispatch(words, reply), () -> reply.completeExceptionally(shuttingDown()));
    return reply;
  }

  private void onLoop(Runnable task, Runnable ifStopped) {
    if (loop.inEventLoop()) {
      task.run();
      return;
    }
    try {
      loop.execute(task);
    } catch (RejectedExecutionException e) {
      ifStopped.run();
    }
  }

  private void dispatch(byte[][] words, CompletableFuture<Object> reply) {
    if (closed) {
      reply.completeExceptionally(shuttingDown());
    } else if (ready) {
      write(words, reply);
    } else {
      waiting.add(new Waiting(words, reply));
      if (!connecting) {
        connect();
      }
    }
  }

  private void write(byte[][] words, CompletableFuture<Object> reply) {
    sent.add(new Sent(reply, System.nanoTime()));
    channel.write(Resp.encode(channel.alloc(), words), channel.voidPromise());
    if (!flushQueued) {
      flushQueued = true;
      loop.execute(this::flush); // after whatever else this turn of the loop writes
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
    Sent oldest = sent.peek();
    if (oldest == null) {
      watchdog.cancel(false);
      watchdog = null;
    } else if (System.nanoTime() - oldest.at() > timeoutNanos && channel != null) {
      drop(channel, "no answer within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
    }
  }

  /**
   * Closes {@code broken}; if it is the connection in use, lets go of it at once, failing what
   * was sent on it (and a login under way) with {@code reason}: Netty reports the close only
   * later, and a call meanwhile must open a new connection, not write to this one.
   */
  private void drop(Channel broken, String reason) {
    if (broken == channel) {
      detach(reason);
    }
    broken.close();
  }

  private void detach(String reason) {
    channel = null;
    ready = false;
    failAll(sent, Sent::reply, reason);
    if (connecting) {
      gaveUp(reason); // it broke while logging in
    }
  }

  private void connect() {
    connecting = true;
    CompletableFuture.supplyAsync(this::resolve, RESOLVER).whenComplete((resolved, e) ->
        // a loop that stopped runs nothing more: what waited fails here
        onLoop(() -> resolved(resolved, e), () -> gaveUp(shuttingDown().getMessage())));
  }

  private InetSocketAddress resolve() {
    try {
      return new InetSocketAddress(InetAddress.getByName(address.host()), address.port());
    } catch (UnknownHostException e) {
      throw new Lost("its host is not known (" + e.getMessage() + ")");
    }
  }

  private void resolved(InetSocketAddress resolved, Throwable e) {
    if (closed || e != null) {
      gaveUp(closed ? shuttingDown().getMessage() : Futures.unwrap(e).getMessage());
      return;
    }
    ChannelFuture opening = bootstrap.connect(resolved);
    opening.addListener(done -> onLoop(() -> opened(opening), () -> opening.channel().close()));
  }

  private void opened(ChannelFuture opening) {
    if (!opening.isSuccess()) {
      gaveUp(describe(opening.cause()));
      return;
    }
    if (closed) {
      opening.channel().close();
      gaveUp(shuttingDown().getMessage());
      return;
    }
    if (channel != null) {
      opening.channel().close(); // one connection at a time: this one is not needed
      return;
    }
    channel = opening.channel();
    List<CompletableFuture<Object>> login = new ArrayList<>();
    if (address.password().isPresent()) {
      String password = address.password().get();
      login.add(written(address.user().map(user -> words("AUTH", user, password))
          .orElseGet(() -> words("AUTH", password))));
    }
    if (address.database() != 0) {
      login.add(written(words("SELECT", Integer.toString(address.database()))));
    }
    Channel opened = channel;
    CompletableFuture.allOf(login.toArray(CompletableFuture[]::new)).whenComplete((ok, e) -> {
      if (opened != channel) {
        return; // it broke meanwhile, and what waited failed with it
      }
      if (e != null) {
        // what waits for the connection fails with it
        drop(opened, "it refused the login or the database (" + describe(Futures.unwrap(e)) + ")");
        return;
      }
      // a name for CLIENT LIST; a user whose ACL forbids it still gets to work
      written(words("CLIENT", "SETNAME", "minibit-tracker"));
      connecting = false;
      ready = true;
      Waiting next;
      while ((next = waiting.poll()) != null) {
        write(next.words(), next.reply());
      }
    });
  }

  private CompletableFuture<Object> written(byte[][] words) {
    CompletableFuture<Object> reply = new CompletableFuture<>();
    write(words, reply);
    return reply;
  }

  /** The connection could not be made ready: what waits for it fails. */
  private void gaveUp(String why) {
    connecting = false;
    failAll(waiting, Waiting::reply, why);
  }

  private static <T> void failAll(ArrayDeque<T> commands,
      Function<T, CompletableFuture<Object>> reply, String why) {
    T command;
    while ((command = commands.poll()) != null) {
      reply.apply(command).completeExceptionally(new Lost(why));
    }
  }

  /** Hands each reply to the oldest command waiting for one; fails them all on a break. */
  private final class Replies extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext context, Object message) {
      if (context.channel() != channel) {
        return; // a dropped connection's last bytes: its commands were failed
      }
      Sent command = sent.poll();
      if (command == null) {
        drop(context.channel(), "it answered a command never sent");
      } else if (message instanceof Resp.Error error) {
        command.reply().completeExceptionally(new Refused(error.message()));
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
      if (context.channel() == channel) {
        detach("the connection closed");
      }
    }
  }

  /** Fails every command not yet answered, and closes the connection. */
  @Override
  public void close() {
    Runnable closing = () -> {
      closed = true;
      failAll(waiting, Waiting::reply, shuttingDown().getMessage());
      failAll(sent, Sent::reply, shuttingDown().getMessage());
      if (channel != null) {
        channel.close();
      }
    };
    if (loop.inEventLoop()) {
      closing.run();
      return;
    }
    try {
      loop.submit(closing).awaitUninterruptibly(timeoutNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      closing.run(); // the loop has stopped: nothing else touches this state any more
    }
  }

  private static Lost shuttingDown() {
    return new Lost("the tracker is shutting down");
  }

  private static String describe(Throwable e) {
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  private static byte[][] words(String... words) {
    byte[][] bytes = new byte[words.length][];
    for (int i = 0; i < words.length; i++) {
      bytes[i] = words[i].getBytes(StandardCharsets.UTF_8);
    }
    return bytes;
  }
}
