package io.minibit.cli;

import io.minibit.api.v1.Transfer;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Shows a download's progress on stderr. On a terminal, one line redrawn in place with '\r'
 * at every snapshot; elsewhere (a log file, a CI job) a plain line at most once per
 * {@link #PLAIN_INTERVAL}, so a long download does not flood the log. Not thread-safe: fed by
 * the thread that reads the Download stream.
 */
final class ProgressDisplay {
  static final Duration PLAIN_INTERVAL = Duration.ofSeconds(1);

  private final PrintStream err;
  private final boolean interactive;
  private final Clock clock;
  private Instant lastPlain;
  private int drawnWidth = -1;

  ProgressDisplay(PrintStream err, boolean interactive, Clock clock) {
    this.err = err;
    this.interactive = interactive;
    this.clock = clock;
  }

  void update(Transfer transfer) {
    String line = TransferText.progressLine(transfer);
    if (interactive) {
      // Blank out what is left of a longer previous line; no terminal control codes needed.
      String pad = " ".repeat(Math.max(0, drawnWidth - line.length()));
      err.print('\r' + line + pad);
      err.flush();
      drawnWidth = line.length();
      return;
    }
    Instant now = clock.instant();
    if (lastPlain == null || !now.isBefore(lastPlain.plus(PLAIN_INTERVAL))) {
      err.println(line);
      lastPlain = now;
    }
  }

  /** Ends the redrawn line, so what follows (a summary, an error) starts on a line of its own. */
  void finish() {
    if (drawnWidth >= 0) {
      err.println();
      drawnWidth = -1;
    }
  }
}
