package io.minibit.core.grpc;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.PrintStream;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A container health check: asks a server's grpc.health.v1.Health service once, with a
 * deadline, and exits 0 if it answers SERVING, 1 otherwise (not serving, unreachable, too slow),
 * 2 for a bad command line. Every runnable jar has it, since it lives in core:
 *
 * <pre>java -cp minibit-peer.jar io.minibit.core.grpc.HealthProbe [--service NAME]
 *     [--timeout SECONDS] HOST:PORT</pre>
 *
 * The images' HEALTHCHECK runs it; no grpcurl or grpc_health_probe is needed.
 */
public final class HealthProbe {
  static final int SERVING = 0;
  static final int UNHEALTHY = 1;
  static final int USAGE = 2;

  private static final String USAGE_TEXT =
      "usage: HealthProbe [--service NAME] [--timeout SECONDS] HOST:PORT";

  private HealthProbe() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err,
        target -> NettyChannelBuilder.forTarget(target).usePlaintext().build()));
  }

  /**
   * Checks the server named in {@code args} through a channel from {@code channels} (a
   * "host:port" in, a channel the probe shuts down out), reporting on {@code out} or {@code err};
   * returns the exit status.
   */
  static int run(String[] args, PrintStream out, PrintStream err,
      Function<String, ManagedChannel> channels) {
    String service = "";
    double timeoutSeconds = 3;
    String target = null;
    try {
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--service" -> service = value(args, ++i);
          case "--timeout" -> timeoutSeconds = Double.parseDouble(value(args, ++i));
          case "-h", "--help" -> {
            out.println(USAGE_TEXT);
            return SERVING;
          }
          default -> {
            if (args[i].startsWith("-") || target != null) {
              throw new IllegalArgumentException("unexpected argument '" + args[i] + "'");
            }
            target = args[i];
          }
        }
      }
      if (target == null || target.isBlank()) {
        throw new IllegalArgumentException("missing HOST:PORT");
      }
      if (!(timeoutSeconds > 0 && timeoutSeconds <= 3600)) {
        throw new IllegalArgumentException("--timeout must be in (0, 3600] seconds");
      }
    } catch (IllegalArgumentException e) {
      // NumberFormatException is one too: "--timeout soon" lands here.
      err.println("health: " + e.getMessage() + "\n" + USAGE_TEXT);
      return USAGE;
    }

    String what = target + (service.isEmpty() ? "" : " (" + service + ")");
    ManagedChannel channel = channels.apply(target);
    try {
      ServingStatus status = HealthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(Math.round(timeoutSeconds * 1000), TimeUnit.MILLISECONDS)
          .check(HealthCheckRequest.newBuilder().setService(service).build())
          .getStatus();
      if (status == ServingStatus.SERVING) {
        out.println(what + ": SERVING");
        return SERVING;
      }
      err.println("health: " + what + ": " + status);
      return UNHEALTHY;
    } catch (StatusRuntimeException e) {
      String description = e.getStatus().getDescription();
      err.println("health: " + what + ": " + e.getStatus().getCode()
          + (description == null ? "" : " (" + description + ")"));
      return UNHEALTHY;
    } finally {
      channel.shutdownNow();
    }
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      throw new IllegalArgumentException(args[i - 1] + " needs a value");
    }
    return args[i];
  }
}
