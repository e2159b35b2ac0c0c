package io.minibit.cli;

import io.minibit.core.grpc.ClientEventLoop;
import io.minibit.core.telemetry.Telemetry;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * The {@code minibit} command: parses the command line, runs one subcommand against the local
 * peer daemon or the tracker and returns an exit code from {@link ExitCodes}. {@link #run} does
 * all of it without touching the process, so tests call it with a {@link CliContext} of their
 * own; {@link #main} only adds {@code System.exit}.
 */
public final class MinibitMain implements Callable<Integer> {
  // Held so the level set in main is not lost when java.util.logging drops an unused logger.
  private static final Logger GRPC_LOGGER = Logger.getLogger("io.grpc");

  private final CommandSpec spec;

  private MinibitMain() {
    spec = CommandSpec.wrapWithoutInspection(this).name("minibit");
    CommandSpecs.addStandardHelpOptions(spec);
    Map<String, String> exitCodes = new LinkedHashMap<>();
    exitCodes.put("0", "success");
    exitCodes.put("1", "other failure");
    exitCodes.put("2", "usage error: a bad option or argument (found here or by the daemon)");
    exitCodes.put("3", "not found: unknown torrent, missing file");
    exitCodes.put("4", "unavailable: daemon or tracker unreachable, no peers");
    exitCodes.put("5", "integrity failure: data does not match its hashes");
    spec.usageMessage()
        .synopsisSubcommandLabel("COMMAND")
        .description("Share and fetch files peer to peer.",
            "A thin client of the local peer daemon (minibit-peer) and the tracker.")
        .commandListHeading("%nCommands:%n")
        .exitCodeListHeading("%nExit codes:%n")
        .exitCodeList(exitCodes)
        .footerHeading("%nEnvironment:%n")
        .footer(
            "  MINIBIT_PEER     peer daemon control address, unix:PATH or HOST:PORT",
            "                   (default: the daemon's default socket)",
            "  MINIBIT_TRACKER  tracker address, or several comma-separated",
            "                   (default " + TrackerOptions.DEFAULT + ")",
            "  Every option has a twin: --no-peers-timeout is MINIBIT_NO_PEERS_TIMEOUT,",
            "  --block-size is MINIBIT_BLOCK_SIZE, and so on. A flag wins over its variable.",
            "",
            "Examples:",
            "  minibit share ubuntu.iso          # prints the infohash",
            "  minibit torrents                  # what the tracker knows",
            "  minibit get ubuntu.iso -o isos    # prints the downloaded file's path",
            "  minibit status                    # transfers and their peers",
            "  source <(minibit completion bash) # complete commands and options",
            "",
            "Run 'minibit COMMAND --help' for a command's options.");
    // Also accepted before the command (minibit --peer unix:PATH get ...); see GlobalOption.
    spec.addOption(PeerOptions.address()
        .description("Control address of the peer daemon, for every command (env MINIBIT_PEER).")
        .build());
    spec.addOption(TrackerOptions.list()
        .description("Address of the tracker (several, comma-separated, asked in that order), "
            + "for every command (env MINIBIT_TRACKER).")
        .build());
  }

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(),
        "missing command: one of share, get, torrents, status, remove, completion");
  }

  /** The commands, by name, in the order help lists them. */
  private static final Map<String, Function<CliContext, Subcommand>> COMMANDS = commands();

  private static Map<String, Function<CliContext, Subcommand>> commands() {
    Map<String, Function<CliContext, Subcommand>> commands = new LinkedHashMap<>();
    commands.put("share", ShareCommand::new);
    commands.put("get", GetCommand::new);
    commands.put("torrents", TorrentsCommand::new);
    commands.put("status", StatusCommand::new);
    commands.put("remove", RemoveCommand::new);
    commands.put("completion", CompletionCommand::new);
    return commands;
  }

  /** Runs the command line {@code args} in {@code context} and returns the exit code. */
  public static int run(String[] args, CliContext context) {
    Optional<String> only = invoked(args);
    if (only.isPresent()) {
      Subcommand command = COMMANDS.get(only.get()).apply(context);
      Optional<String[]> own = ownArguments(args, only.get(), command.spec());
      if (own.isPresent()) {
        // The command runs alone, under its full name: picocli builds neither the top
        // command's model nor a parser for it (about 5% of a get's CPU).
        return configured(new CommandLine(command.spec())
            .setCommandName("minibit " + only.get()), context)
            .execute(own.get());
      }
    }
    return commandLine(context, only).execute(args);
  }

  /**
   * The arguments the command {@code name} reads when it runs alone, if the command line means
   * the same that way: nothing but the global options comes before the command, each once, and
   * none of them comes again after it (the full command line says which one wins). A global
   * option the command takes goes after its name; one it does not read (--tracker before a get)
   * is checked as the top command would check it and dropped, or, if bad, left to the full
   * command line to report. Empty when the full command line must run.
   */
  static Optional<String[]> ownArguments(String[] args, String name, CommandSpec command) {
    List<String> own = new ArrayList<>();
    Set<String> given = new HashSet<>();
    int i = 0;
    for (; i < args.length && args[i].startsWith("-"); i++) {
      int equals = args[i].indexOf('=');
      String option = equals < 0 ? args[i] : args[i].substring(0, equals);
      OptionSpec global = globalOption(option);
      if (global == null || !given.add(option) || (equals < 0 && i + 1 == args.length)) {
        return Optional.empty();
      }
      String value = equals < 0 ? args[++i] : args[i].substring(equals + 1);
      if (command.findOption(option) != null) {
        own.add(option + "=" + value); // whatever the value looks like
      } else if (!converts(global, value)) {
        return Optional.empty();
      }
    }
    if (i == args.length || !args[i].equals(name)) {
      return Optional.empty();
    }
    List<String> after = Arrays.asList(args).subList(i + 1, args.length);
    for (String option : given) {
      if (after.stream().anyMatch(arg -> arg.equals(option) || arg.startsWith(option + "="))) {
        return Optional.empty();
      }
    }
    own.addAll(after);
    return Optional.of(own.toArray(String[]::new));
  }

  /** The global option {@code name} as the top command reads it; null if there is none. */
  private static OptionSpec globalOption(String name) {
    return switch (name) {
      case "--peer" -> PeerOptions.address().build();
      case "--tracker" -> TrackerOptions.list().build();
      default -> null;
    };
  }

  private static boolean converts(OptionSpec option, String value) {
    try {
      option.converters()[0].convert(value);
      return true;
    } catch (Exception e) {
      return false; // the full command line reports it
    }
  }

  /**
   * The command {@code args} runs, if it names one the tree need not be whole for: picocli reads
   * the annotations of every command it is given, a fifth of a command's CPU, so a run builds
   * only the command it runs. Help, version, completion and unknown commands get every one.
   */
  static Optional<String> invoked(String[] args) {
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--peer") || arg.equals("--tracker")) {
        i++; // its value
      } else if (!arg.startsWith("-")) {
        return COMMANDS.containsKey(arg) && !arg.equals("completion") ? Optional.of(arg)
            : Optional.empty();
      }
    }
    return Optional.empty();
  }

  static CommandLine commandLine(CliContext context) {
    return commandLine(context, Optional.empty());
  }

  /** The command line with {@code only} that command, or with every command. */
  static CommandLine commandLine(CliContext context, Optional<String> only) {
    CommandLine cli = new CommandLine(new MinibitMain().spec);
    COMMANDS.forEach((name, command) -> {
      if (only.isEmpty() || only.get().equals(name)) {
        cli.addSubcommand(command.apply(context).spec());
      }
    });
    // These setters reach every subcommand added so far, so they come after addSubcommand.
    return configured(cli, context);
  }

  private static CommandLine configured(CommandLine cli, CliContext context) {
    cli.setDefaultValueProvider(new EnvDefaults(context.env()));
    cli.setOut(new PrintWriter(context.out(), true));
    cli.setErr(new PrintWriter(context.err(), true));
    cli.setParameterExceptionHandler(new UsageErrorHandler());
    cli.setExecutionExceptionHandler(new FailureHandler());
    return cli;
  }

  public static void main(String[] args) {
    // Start-up costs a command does not need: the CLI's channels use Java's NIO
    // (ClientEventLoop), yet Netty would copy its native epoll library to a temporary file and
    // load it; and it would start the JVM's flight recorder for its buffer events (a sixth of a
    // command's CPU).
    System.setProperty("io.grpc.netty.shaded.io.netty.transport.noNative", "true");
    System.setProperty("io.grpc.netty.shaded.io.netty.jfr.enabled", "false");
    // Nor pooled buffers: Netty's default allocator and gRPC's own would each set up arenas and
    // caches, and direct buffers their cleaners, for a command's few small messages. Plain heap
    // buffers cost a command 4% less CPU.
    System.setProperty("io.grpc.netty.shaded.io.netty.allocator.type", "unpooled");
    System.setProperty("io.grpc.netty.useCustomAllocator", "false");
    System.setProperty("io.grpc.netty.shaded.io.netty.noPreferDirect", "true");
    quietGrpcLogging();
    // Traced only when spans have somewhere to go: building the SDK costs a command time. A
    // command's metrics go out over OTLP only: the CLI carries no Prometheus exporter.
    Telemetry telemetry = Telemetry.otlpConfigured(System.getenv())
        ? Telemetry.forCommand("minibit-cli") : Telemetry.noop();
    int exitCode;
    try (ClientEventLoop loop = new ClientEventLoop()) {
      exitCode = run(args, CliContext.system(loop, telemetry.clientInterceptor()));
    } finally {
      telemetry.close(); // exports what is pending
    }
    System.exit(exitCode);
  }

  /**
   * gRPC logs transport hiccups (a refused connection, a retry) as warnings; the CLI already
   * says what went wrong in one line, so only its severe messages get through.
   */
  private static void quietGrpcLogging() {
    GRPC_LOGGER.setLevel(Level.SEVERE);
  }
}
