package io.minibit.peer;

import io.grpc.ServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.minibit.core.grpc.ServerLimits;
import io.minibit.core.grpc.TokenAuth;
import io.minibit.core.grpc.UnixSockets;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The flags of the control API the CLI calls, as a picocli mixin of {@link PeerMain}: where it
 * listens (a Unix socket, a TCP port) and the token it asks for. Filled by picocli; read after
 * parsing, on one thread.
 */
final class ControlOptions {
  @Option(names = "--control-socket", paramLabel = "PATH",
      defaultValue = "${env:MINIBIT_CONTROL_SOCKET:-}",
      description = "Unix socket of the control API the CLI uses, mode 0660: only this user "
          + "and its group reach it; 'none' for no socket (env MINIBIT_CONTROL_SOCKET; default: "
          + "/run/minibit/control.sock as root, else $XDG_RUNTIME_DIR/minibit/control.sock or "
          + "$TMPDIR/minibit-$USER/control.sock).")
  String controlSocket;

  @Option(names = "--control-port", paramLabel = "PORT",
      defaultValue = "${env:MINIBIT_CONTROL_PORT:--1}",
      description = "TCP port of the control API too, on --control-host; 0 picks one "
          + "(env MINIBIT_CONTROL_PORT; default: -1, the Unix socket only).")
  int controlPort;

  @Option(names = "--control-host", paramLabel = "ADDRESS",
      defaultValue = "${env:MINIBIT_CONTROL_HOST:-127.0.0.1}",
      description = "Address the control API's TCP port listens on; the default lets only "
          + "this machine's processes in (env MINIBIT_CONTROL_HOST; default: ${DEFAULT-VALUE}).")
  String controlHost;

  @Option(names = "--control-token", paramLabel = "TOKEN",
      defaultValue = "${env:MINIBIT_CONTROL_TOKEN:-}",
      description = "Secret the CLI must send with every control call (16..256 printable "
          + "characters); required when --control-host is not a loopback address. A token "
          + "on the command line shows in the process list: prefer --control-token-file "
          + "(env MINIBIT_CONTROL_TOKEN; default: none).")
  String controlToken;

  @Option(names = "--control-token-file", paramLabel = "FILE",
      defaultValue = "${env:MINIBIT_CONTROL_TOKEN_FILE:-}",
      description = "File that holds the control token (its first line) "
          + "(env MINIBIT_CONTROL_TOKEN_FILE; default: none).")
  String controlTokenFile;

  /**
   * The control token, given or read from its file, empty for none; IllegalArgumentException if
   * it cannot be read or used, or if --control-host lets other machines in without one.
   */
  String token() {
    String token = TokenAuth.inlineOrFromFile(controlToken, controlTokenFile);
    ControlAccess.check(controlHost, token);
    return token;
  }

  /**
   * The Unix socket to serve on, if any; IllegalArgumentException if there is neither a socket
   * nor a port, since the CLI could not reach the daemon.
   */
  Optional<Path> socket() {
    Optional<Path> socket = controlSocket.equals("none") ? Optional.empty()
        : Optional.of(controlSocket.isBlank() ? UnixSockets.defaultControlSocket()
            : Path.of(controlSocket));
    if (socket.isEmpty() && controlPort < 0) {
      throw new IllegalArgumentException("--control-socket none and no --control-port: "
          + "the CLI could not reach this daemon");
    }
    return socket;
  }

  /**
   * A server builder for each address of the control API ({@code socket}, then the TCP port of
   * {@code config}), each asking for {@code token} unless it is empty.
   */
  static List<ServerBuilder<?>> servers(Optional<Path> socket, PeerConfig config, String token)
      throws IOException {
    List<ServerBuilder<?>> servers = new ArrayList<>();
    if (socket.isPresent()) {
      servers.add(ServerLimits.CONTROL.applyTo(UnixSockets.serverBuilder(socket.get())));
    }
    if (config.controlPort() >= 0) {
      servers.add(ServerLimits.CONTROL.applyTo(NettyServerBuilder
          .forAddress(new InetSocketAddress(config.controlHost(), config.controlPort()))));
    }
    if (!token.isEmpty()) {
      servers.forEach(server -> server.intercept(TokenAuth.require(token)));
    }
    return servers;
  }

  /** Removes the socket file of a stopped daemon; says so on stderr if it cannot. */
  static void removeSocket(Path socket) {
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      System.err.println(PeerMain.NAME + ": cannot remove " + socket + ": " + e.getMessage());
    }
  }
}
