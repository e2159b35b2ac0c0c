package io.minibit.deploy;

import io.minibit.peer.PeerMain;
import io.minibit.tracker.TrackerConfig;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** The ports the services listen on when nothing says otherwise, read from the services. */
final class ServiceDefaults {
  private static final Pattern FALLBACK = Pattern.compile("(?:\\$\\{env:[A-Z_]+:-)?(\\d+)\\}?");

  private ServiceDefaults() {}

  static int trackerPort() {
    return TrackerConfig.DEFAULT_PORT;
  }

  static int peerPort() {
    return peerOption("--port");
  }

  /** The built-in default of a numeric peer option, whether or not picocli resolved its variable. */
  private static int peerOption(String name) {
    String declared = new CommandLine(new PeerMain()).getCommandSpec().findOption(name)
        .defaultValue();
    Matcher m = FALLBACK.matcher(declared);
    if (!m.matches()) {
      throw new AssertionError("cannot read the default of " + name + ": " + declared);
    }
    return Integer.parseInt(m.group(1));
  }
}
