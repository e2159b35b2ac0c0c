package io.minibit.cli;

import io.minibit.core.Validation;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A "host:port" address as given to {@code --peer} and {@code --tracker}; an IPv6 literal is
 * written in brackets ("[::1]:6880"). Checked up front so a typo is a usage error, not a
 * confusing connection failure.
 */
record HostPort(String host, int port) {

  HostPort {
    if (host.isEmpty()) {
      throw new IllegalArgumentException("host is empty");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(Validation.notAPort("port", port, false, null));
    }
  }

  /** Parses "host:port"; IllegalArgumentException with a readable message otherwise. */
  static HostPort parse(String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException("'" + text + "' is not HOST:PORT");
    }
    String host = text.substring(0, colon);
    if (host.contains(":") && !(host.startsWith("[") && host.endsWith("]"))) {
      throw new IllegalArgumentException(
          "'" + text + "' is not HOST:PORT (write an IPv6 address in brackets: [::1]:6880)");
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' does not end in a port number");
    }
    return new HostPort(host, port);
  }

  @Override
  public String toString() {
    return host + ":" + port;
  }

  /** Lets picocli turn an option value into a HostPort, reporting a bad one as a usage error. */
  static final class Converter implements ITypeConverter<HostPort> {
    @Override
    public HostPort convert(String value) {
      try {
        return parse(value.strip());
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
