package io.minibit.cli;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.minibit.core.grpc.Channels;
import io.minibit.core.testing.MutableClock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs {@code minibit} commands in-process against a fake peer daemon and a fake tracker served
 * on one in-process server, capturing stdout, stderr and the exit code. Channels are opened with
 * MiniBit's real settings (retry policy included), so only the transport is fake. A test sets
 * the options it varies ({@link #interactive}, {@link #workingDirectory}, {@link #env}) and the
 * fakes' answers as fields. Register it as a JUnit 5 extension on an instance field, a fresh one
 * per test: {@code @RegisterExtension final CliHarness cli = new CliHarness();} After the test
 * it shuts down every channel a command left open and the server; a test that makes a second
 * one closes that itself. Not thread-safe, except for the call records the fakes fill in.
 */
final class CliHarness implements AutoCloseable, AfterEachCallback {
  final FakePeerControl peer = new FakePeerControl();
  final FakeTracker tracker = new FakeTracker();
  final MutableClock clock = new MutableClock();
  final Map<String, String> env = new HashMap<>();
  /** The deadline each call arrived with, by full method name; "none" when it had none. */
  final Map<String, String> deadlines = new ConcurrentHashMap<>();
  /** Every target a command asked a channel for, in order. */
  final List<String> targets = new CopyOnWriteArrayList<>();
  Path workingDirectory = Path.of("").toAbsolutePath();
  boolean interactive;

  private final String serverName = InProcessServerBuilder.generateName();
  private final Server server;
  private final List<ManagedChannel> channels = new CopyOnWriteArrayList<>();

  CliHarness() {
    try {
      server = InProcessServerBuilder.forName(serverName)
          .directExecutor()
          .intercept(deadlineRecorder())
          .addService(peer)
          .addService(tracker)
          .build()
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs {@code args} with channels to the fakes. */
  Result run(String... args) {
    return run(this::inProcessChannel, args);
  }

  /**
   * Runs {@code args} under the top command's full command line, as {@link MinibitMain#run}
   * does when a command cannot run alone.
   */
  Result runUnderTop(String... args) {
    return run(this::inProcessChannel,
        context -> MinibitMain.commandLine(context, MinibitMain.invoked(args)).execute(args),
        args);
  }

  /** Runs {@code args} with channels from {@code factory}, e.g. one with nothing behind it. */
  Result run(ChannelFactory factory, String... args) {
    return run(factory, context -> MinibitMain.run(args, context), args);
  }

  private Result run(ChannelFactory factory, ToIntFunction<CliContext> main,
      String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ChannelFactory recording = target -> {
      targets.add(target);
      ManagedChannel channel = factory.open(target);
      channels.add(channel);
      return channel;
    };
    CliContext context = new CliContext(
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        env, workingDirectory, interactive, clock, recording);
    int code = main.applyAsInt(context);
    return new Result(code, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  /** A channel to an in-process name no server listens on. */
  static ManagedChannel channelToNowhere(String target) {
    return Channels.configure(
        InProcessChannelBuilder.forName(InProcessServerBuilder.generateName())).build();
  }

  /** Channels to the fakes for the targets in {@code reachable}, to nowhere for any other. */
  ChannelFactory reachingOnly(String... reachable) {
    List<String> open = List.of(reachable);
    return target -> open.contains(target) ? inProcessChannel(target) : channelToNowhere(target);
  }

  private ManagedChannel inProcessChannel(String target) {
    return Channels.configure(InProcessChannelBuilder.forName(serverName).directExecutor())
        .build();
  }

  private ServerInterceptor deadlineRecorder() {
    return new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call,
          Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        Deadline deadline = Context.current().getDeadline();
        deadlines.put(call.getMethodDescriptor().getFullMethodName(), deadline == null ? "none"
            : "within " + ((deadline.timeRemaining(TimeUnit.MILLISECONDS) + 999) / 1000) + " s");
        return next.startCall(call, headers);
      }
    };
  }

  /** Takes the fake daemon and tracker away at once, as a killed process would. */
  void stopServer() {
    server.shutdownNow();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    close();
  }

  @Override
  public void close() {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow();
    }
    server.shutdownNow();
    try {
      for (ManagedChannel channel : channels) {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      }
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** What a command did: its exit code and everything it wrote. */
  record Result(int exitCode, String out, String err) {
    List<String> outLines() {
      return out.lines().toList();
    }

    List<String> errLines() {
      return err.lines().toList();
    }

    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err;
    }
  }
}
