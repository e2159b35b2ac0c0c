package io.minibit.core.cli;

import java.net.BindException;
import java.util.Locale;

/** Turns why a daemon could not start into one line for its user. */
public final class StartupFailures {
  private StartupFailures() {}

  /** The most telling message in a failure's cause chain. */
  public static String describe(Throwable e) {
    Throwable root = e;
    for (Throwable t = e; t != null; t = t.getCause()) {
      // Netty's native transport reports a taken port as its own IOException, not BindException.
      String message = t.getMessage();
      if (t instanceof BindException
          || (message != null && message.toLowerCase(Locale.ROOT).contains("already in use"))) {
        return "address already in use";
      }
      root = t;
    }
    String message = root.getMessage();
    return message == null ? root.getClass().getSimpleName()
        : root.getClass().getSimpleName() + ": " + message;
  }
}
