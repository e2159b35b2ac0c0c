package io.minibit.peer;

import java.util.logging.Logger;

/**
 * The logger every part of the daemon writes through. Its name stays PeerDaemon's, as it was
 * before the daemon was split up: log filters and bench/lib/report.py match {@code PeerDaemon:}.
 * Thread-safe (a java.util.logging logger is).
 */
final class DaemonLog {
  static final Logger LOG = Logger.getLogger("io.minibit.peer.PeerDaemon");

  private DaemonLog() {}
}
