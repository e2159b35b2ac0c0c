package io.minibit.cli;

import io.minibit.api.v1.Transfer;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Shows a download's progress. On a terminal, a progress bar and the figures on one line of
 * stderr, redrawn in place with '\r' at every snapshot; elsewhere (a log file, a CI job) a plain
 * line at most once per {@link #PLAIN_INTERVAL}, so a long download does not flood the log; for
 * scripts ({@link #json}), every snapshot as one line of JSON on stdout. Not thread-safe: fed by
 * the thread that reads the Download stream.
 */
final class ProgressDisplay {
  static final Duration PLAIN_INTERVAL = Duration.ofSeconds(1);
  /** Characters inside the brackets of the terminal's progress bar. */
  static final int BAR_WIDTH = 24;

  private final PrintStream err;
  private final boolean interactive;
  private final Clock clock;
  private final PrintStream json; // null unless every snapshot goes out as JSON
  private Instant lastPlain;
  private int drawnWidth = -1;

  ProgressDisplay(PrintStream err, boolean interactive, Clock clock) {
    this(err, interactive, clock, null);
  }

  private ProgressDisplay(PrintStream err, boolean interactive, Clock clock, PrintStream json) {
    this.err = err;
    this.interactive = interactive;
    this.clock = clock;
    this.json = json;
  }

  /** Each snapshot as one line of JSON on {@code out}, nothing else. */
  static ProgressDisplay json(PrintStream out) {
    return new ProgressDisplay(out, false, Clock.systemUTC(), out);
  }

  /** What a terminal shows: "[#########---------------]  " and the progress line. */
  static String terminalLine(Transfer transfer) {
    return TransferText.bar(transfer, BAR_WIDTH) + "  " + TransferText.progressLine(transfer);
  }

  void update(Transfer transfer) {
    if (json != null) {
      json.println(TransferJson.line(transfer));
      json.flush();
      return;
    }
    if (interactive) {
      String line = terminalLine(transfer);
      // Blank out what is left of a longer previous line; no terminal control codes needed.
      String pad = " ".repeat(Math.max(0, drawnWidth - line.length()));
      err.print('\r' + line + pad);
      err.flush();
      drawnWidth = line.length();
      return;
    }
    Instant now = clock.instant();
    if (lastPlain == null || !now.isBefore(lastPlain.plus(PLAIN_INTERVAL))) {
      err.println(TransferText.progressLine(transfer));
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
