package io.minibit.cli;

/**
 * The exit statuses of {@code minibit}, documented in the top-level help. Scripts branch on
 * them, so their meanings never change.
 */
public final class ExitCodes {
  public static final int OK = 0;
  /** Anything not covered below. */
  public static final int FAILURE = 1;
  /** A bad option or argument (picocli's own default for usage errors). */
  public static final int USAGE = 2;
  /** Unknown torrent or missing file. */
  public static final int NOT_FOUND = 3;
  /** The daemon or tracker is unreachable, or no peer can serve the blocks. */
  public static final int UNAVAILABLE = 4;
  /** Data does not match its hashes. */
  public static final int INTEGRITY = 5;

  private ExitCodes() {}
}
