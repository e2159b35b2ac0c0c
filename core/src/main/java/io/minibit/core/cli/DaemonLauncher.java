package io.minibit.core.cli;

import io.minibit.core.Logging;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import picocli.CommandLine;

/**
 * The start and stop every MiniBit daemon goes through: its command line (a usage error is one
 * line and exit code 2, the config file's settings under the flags), the words of a failed
 * start (exit code 1), and the shutdown hook that closes its parts in order. Stateless.
 */
public final class DaemonLauncher {
  /** The daemon could not start (a port taken, a directory it cannot make...). */
  public static final int EXIT_FAILURE = 1;
  /** The command line or a setting is wrong. */
  public static final int EXIT_USAGE = 2;

  private DaemonLauncher() {}

  /**
   * Runs {@code command} on {@code args} and the process environment; exits with the exit code
   * unless it is 0 (then the daemon ran until a shutdown hook stopped it: the JVM is already
   * exiting).
   */
  public static void main(CommandLine command, String[] args) {
    runningDefaults(System.getProperties());
    int exitCode = run(command, args, System.getenv());
    if (exitCode != 0) {
      System.exit(exitCode);
    }
  }

  /** The system property of the (shaded) Netty's leak detection level. */
  static final String LEAK_DETECTION = "io.grpc.netty.shaded.io.netty.leakDetection.level";

  /**
   * What a running daemon sets before Netty loads, where {@code properties} (the JVM's) do not
   * already say. Netty records the stack of one buffer in 128 to find leaks: a few percent of a
   * busy daemon's CPU, for a report only a developer reads. Tests run with it on.
   */
  static void runningDefaults(Properties properties) {
    properties.putIfAbsent(LEAK_DETECTION, "disabled");
  }

  /**
   * Runs {@code command} (made by {@link #commandLine}) on {@code args}, with the settings of
   * the config file it (or {@code env}) names under its flags and variables; returns the exit
   * code.
   */
  public static int run(CommandLine command, String[] args, Map<String, String> env) {
    return ConfigFile.execute(command, args, env, command.getCommandName(), EXIT_USAGE);
  }

  /** The command line of {@code command}, with a usage error said in one line, not the help. */
  public static CommandLine commandLine(Object command) {
    CommandLine commandLine = new CommandLine(command);
    String name = commandLine.getCommandName();
    commandLine.setParameterExceptionHandler((e, args) -> {
      e.getCommandLine().getErr().println(name + ": " + e.getMessage() + " (see --help)");
      return EXIT_USAGE;
    });
    return commandLine;
  }

  /** Says on {@code err} that {@code name} cannot start, and why; returns the exit code. */
  public static int cannotStart(PrintWriter err, String name, Throwable e) {
    Logging.say(err, Level.SEVERE, name + ": cannot start: " + StartupFailures.describe(e));
    return EXIT_FAILURE;
  }

  /** Says on {@code err} that {@code name} cannot serve HTTP, and why; returns the exit code. */
  public static int cannotServeHttp(PrintWriter err, String name, String host, int port,
      Throwable e) {
    Logging.say(err, Level.SEVERE, name + ": cannot serve HTTP on " + host + " port " + port
        + ": " + StartupFailures.describe(e));
    return EXIT_FAILURE;
  }

  /**
   * Closes {@code parts}, in order, when the JVM stops, then says on {@code err} that
   * {@code name} stopped. The latch it returns opens once all that is done.
   */
  public static CountDownLatch closeOnShutdown(String name, PrintWriter err, String thread,
      List<Runnable> parts) {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      parts.forEach(Runnable::run);
      // Printed, not logged: java.util.logging resets its handlers in a shutdown hook of its own.
      Logging.say(err, Level.INFO, name + " stopped");
      err.flush();
      stopped.countDown();
    }, thread));
    return stopped;
  }
}
