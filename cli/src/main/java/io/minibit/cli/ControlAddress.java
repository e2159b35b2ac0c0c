package io.minibit.cli;

import io.minibit.core.grpc.UnixSockets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Where the peer daemon's control API listens, as given to {@code --peer}: its Unix socket
 * ({@code unix:PATH}, the default) or a TCP address ({@code HOST:PORT}).
 */
record ControlAddress(String target) {
  /** What {@code --peer} means when it is not given: the daemon's default socket. */
  static ControlAddress defaultAddress() {
    return new ControlAddress(UnixSockets.target(UnixSockets.defaultControlSocket()));
  }

  /** Parses "unix:PATH" or "HOST:PORT"; IllegalArgumentException with a readable message. */
  static ControlAddress parse(String text) {
    if (UnixSockets.isSocketTarget(text)) {
      String path = UnixSockets.socketPath(text);
      if (path.isEmpty()) {
        throw new IllegalArgumentException("'" + text + "' names no socket: write unix:PATH");
      }
      try {
        return new ControlAddress(UnixSockets.target(Path.of(path)));
      } catch (InvalidPathException e) {
        throw new IllegalArgumentException("'" + text + "' is not a socket path: " + e.getReason());
      }
    }
    try {
      return new ControlAddress(HostPort.parse(text).toString());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage() + " (or unix:PATH, a socket)");
    }
  }

  @Override
  public String toString() {
    return target;
  }

  /** Lets picocli turn an option value into an address, reporting a bad one as a usage error. */
  static final class Converter implements ITypeConverter<ControlAddress> {
    @Override
    public ControlAddress convert(String value) {
      try {
        return parse(value.strip());
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
