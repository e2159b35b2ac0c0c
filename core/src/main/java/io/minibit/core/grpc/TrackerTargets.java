package io.minibit.core.grpc;

import com.google.common.net.HostAndPort;
import io.minibit.core.Validation;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The trackers a peer or the CLI knows, as {@code --tracker} gives them: a comma-separated list
 * of {@code HOST:PORT} entries (an IPv6 literal in brackets), in order of preference, each of
 * which may instead be {@code dns:///NAME:PORT}. A {@code dns:///} entry is one gRPC channel over
 * every address the name resolves to, with the {@code pick_first} policy: its calls go to the
 * first address that answers and move to the next when that one's connection breaks, so one name
 * with several addresses is a list of its own. Not {@code round_robin}: a peer's session token and
 * the catalog it published live on one tracker (unless the trackers share a store), and spreading
 * calls over all of them would scatter both.
 *
 * <p>Checked up front so that a typo is a usage error at start, not a connection failure later.
 * Immutable.
 *
 * @param targets gRPC targets, one per entry, in the order given, no two alike
 */
public record TrackerTargets(List<String> targets) {
  private static final String DNS = "dns:///";

  public TrackerTargets {
    targets = List.copyOf(targets);
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("no tracker given");
    }
  }

  /**
   * Parses {@code text} as given to {@code flag}; IllegalArgumentException with a one-line,
   * readable message (naming {@code flag} and the bad entry) otherwise.
   */
  public static TrackerTargets parse(String flag, String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException(flag + " is empty: give the tracker as HOST:PORT "
          + "(several as HOST:PORT,HOST:PORT, or dns:///NAME:PORT)");
    }
    String[] entries = text.split(",", -1);
    List<String> targets = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (int i = 0; i < entries.length; i++) {
      String entry = entries[i].strip();
      if (entry.isEmpty()) {
        throw new IllegalArgumentException(flag + " '" + Validation.printable(text)
            + "' has an empty entry (number " + (i + 1) + "): separate trackers with one comma");
      }
      String target = target(flag, entry);
      if (!seen.add(target.toLowerCase(Locale.ROOT))) {
        throw new IllegalArgumentException(flag + " names " + Validation.printable(entry)
            + " twice");
      }
      targets.add(target);
    }
    return new TrackerTargets(targets);
  }

  /** The one target of {@code entry}, checked. */
  private static String target(String flag, String entry) {
    String what = flag + " entry '" + Validation.printable(entry) + "'";
    boolean dns = entry.regionMatches(true, 0, DNS, 0, DNS.length());
    if (!dns && entry.contains("://")) {
      throw new IllegalArgumentException(what + " is not HOST:PORT or dns:///NAME:PORT");
    }
    String address = dns ? entry.substring(DNS.length()) : entry;
    int colon = address.lastIndexOf(':');
    if (colon < 0 || address.endsWith("]")) {
      throw new IllegalArgumentException(what
          + " has no port (the tracker's is 6969 by default)");
    }
    String host = address.substring(0, colon);
    String portText = address.substring(colon + 1);
    if (host.isEmpty()) {
      throw new IllegalArgumentException(what + " has no host");
    }
    if (host.contains(":") && !(host.startsWith("[") && host.endsWith("]"))) {
      throw new IllegalArgumentException(what
          + " is not HOST:PORT (write an IPv6 address in brackets: [::1]:6969)");
    }
    long port;
    try {
      port = portText.isEmpty() ? -1 : Long.parseLong(portText);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " does not end in a port number");
    }
    if (portText.isEmpty()) {
      throw new IllegalArgumentException(what
          + " has no port (the tracker's is 6969 by default)");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(what + ": "
          + Validation.notAPort("port", port, false, null));
    }
    try {
      Validation.requireHost(flag, host.startsWith("[") ? host.substring(1, host.length() - 1)
          : host);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
    HostAndPort parsed = HostAndPort.fromParts(
        host.startsWith("[") ? host.substring(1, host.length() - 1) : host, (int) port);
    return dns ? DNS + parsed : parsed.toString();
  }

  /** How many entries there are (a {@code dns:///} entry counts once). */
  public int size() {
    return targets.size();
  }

  /** The entries as given, comma-separated: what a log line or {@code --help} shows. */
  @Override
  public String toString() {
    return String.join(",", targets);
  }
}
