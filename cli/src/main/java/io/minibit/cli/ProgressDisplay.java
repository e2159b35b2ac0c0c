package io.minibit.cli;

import io.minibit.api.v2.ShareWithProgressResponse;
import io.minibit.api.v2.Transfer;
import io.minibit.core.Validation;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Shows a download's progress, or a shared file's hashing. On a terminal, a progress bar and the
 * figures on one line of stderr, redrawn in place with '\r' at every snapshot; elsewhere (a log
 * file, a CI job) a plain line at most once per {@link #PLAIN_INTERVAL}, so a long download does
 * not flood the log; for scripts ({@link #json}), every snapshot as one line of JSON on stdout;
 * with {@link #quiet}, nothing. Not thread-safe: fed by the thread that reads the progress
 * stream.
 */
final class ProgressDisplay {
  static final Duration PLAIN_INTERVAL = Duration.ofSeconds(1);
  /** Characters inside the brackets of the terminal's progress bar. */
  static final int BAR_WIDTH = 24;

  private final PrintStream err;
  private final boolean interactive;
  private final Clock clock;
  private final PrintStream json; // null unless every snapshot goes out as JSON
  private final boolean quiet;
  private Instant lastPlain;
  private int drawnWidth = -1;

  ProgressDisplay(PrintStream err, boolean interactive, Clock clock) {
    this(err, interactive, clock, null, false);
  }

  private ProgressDisplay(PrintStream err, boolean interactive, Clock clock, PrintStream json,
      boolean quiet) {
    this.err = err;
    this.interactive = interactive;
    this.clock = clock;
    this.json = json;
    this.quiet = quiet;
  }

  /** Each snapshot as one line of JSON on {@code out}, nothing else. */
  static ProgressDisplay json(PrintStream out) {
    return new ProgressDisplay(out, false, Clock.systemUTC(), out, false);
  }

  /** Shows nothing ({@code --quiet}). */
  static ProgressDisplay quiet(PrintStream err) {
    return new ProgressDisplay(err, false, Clock.systemUTC(), null, true);
  }

  /** What a terminal shows: "[#########---------------]  " and the progress line. */
  static String terminalLine(Transfer transfer) {
    return TransferText.bar(transfer, BAR_WIDTH) + "  " + TransferText.progressLine(transfer);
  }

  /** "[#####-------------------]  hashing big.iso  21.0%  1.3 GiB / 6.0 GiB  812.0 MB/s  ETA 6s". */
  static String hashingLine(String name, ShareWithProgressResponse progress, boolean withBar) {
    long hashed = progress.getBytesHashed();
    long size = progress.getSize();
    int filled = size == 0 ? 0 : (int) ((double) BAR_WIDTH * hashed / size);
    String bar = withBar ? "[" + "#".repeat(filled) + "-".repeat(BAR_WIDTH - filled) + "]  " : "";
    // the first update has no rate yet: no "0 B/s" and no ETA rather than a wrong one
    String speed = progress.getBytesPerSecond() == 0 ? ""
        : "  " + HumanFormat.rate(progress.getBytesPerSecond())
            + "  ETA " + HumanFormat.eta(size - hashed, progress.getBytesPerSecond());
    return bar + "hashing " + Validation.printable(name) + "  " + HumanFormat.percent(hashed, size)
        + "  " + HumanFormat.bytes(hashed) + " / " + HumanFormat.bytes(size) + speed;
  }

  void update(Transfer transfer) {
    if (quiet) {
      return;
    }
    if (json != null) {
      json.println(TransferJson.line(transfer));
      json.flush();
      return;
    }
    if (interactive) {
      redraw(terminalLine(transfer));
    } else if (plainLineDue()) {
      err.println(TransferText.progressLine(transfer));
    }
  }

  /** How far the hashing of the file {@code name} got (never as JSON: share prints its hash). */
  void update(String name, ShareWithProgressResponse progress) {
    if (quiet) {
      return;
    }
    if (interactive) {
      redraw(hashingLine(name, progress, true));
    } else if (plainLineDue()) {
      err.println(hashingLine(name, progress, false));
    }
  }

  private void redraw(String line) {
    // Blank out what is left of a longer previous line; no terminal control codes needed.
    String pad = " ".repeat(Math.max(0, drawnWidth - line.length()));
    err.print('\r' + line + pad);
    err.flush();
    drawnWidth = line.length();
  }

  /**
   * Whether a plain line goes out now (and from now on counts as the last one): the first, then
   * one per {@link #PLAIN_INTERVAL}. Asked before a line is made, since most snapshots of a
   * plain display are never shown.
   */
  private boolean plainLineDue() {
    Instant now = clock.instant();
    if (lastPlain != null && now.isBefore(lastPlain.plus(PLAIN_INTERVAL))) {
      return false;
    }
    lastPlain = now;
    return true;
  }

  /** Ends the redrawn line, so what follows (a summary, an error) starts on a line of its own. */
  void finish() {
    if (drawnWidth >= 0) {
      err.println();
      drawnWidth = -1;
    }
  }
}
