package io.minibit.cli;

import io.grpc.Status;
import java.util.Locale;

/**
 * Turns a failed call's status into the one line and exit code a user sees. Pure: the status,
 * the endpoint and how far the call got in, a {@link CliFailure} out.
 */
final class StatusMessages {
  private StatusMessages() {}

  static CliFailure failure(Status status, Endpoint endpoint, ServerContact.Reach reach) {
    String description = oneLine(status.getDescription());
    String where = "the " + endpoint.role() + " at " + endpoint.address();
    return switch (status.getCode()) {
      case UNAVAILABLE -> new CliFailure(ExitCodes.UNAVAILABLE, switch (reach) {
        case NONE -> "cannot reach " + where + " (" + endpoint.hint() + ")";
        // A server's GOAWAY without an error is a daemon stopping on purpose, as a CANCELLED
        // below; the transport may say either, whichever it reads first.
        case SENT, CONNECTED -> description.contains("GOAWAY") && description.contains("NO_ERROR")
            ? where + " stopped the call (is it shutting down?)"
            : "lost the connection to " + where + suffix(description);
        case ANSWERED -> description.isEmpty() ? where + " is unavailable" : description;
      });
      case DEADLINE_EXCEEDED -> new CliFailure(ExitCodes.UNAVAILABLE,
          reach == ServerContact.Reach.NONE
              ? "cannot reach " + where + " (" + endpoint.hint() + ")"
              : where + " did not answer in time");
      // A command cancels a call only once it is done with it, so a CANCELLED that ends one
      // came from the other side: a daemon stopping resets the calls it still serves.
      case CANCELLED -> new CliFailure(ExitCodes.UNAVAILABLE,
          where + " stopped the call (is it shutting down?)");
      case NOT_FOUND -> new CliFailure(ExitCodes.NOT_FOUND, or(description, "not found"));
      case DATA_LOSS -> new CliFailure(ExitCodes.INTEGRITY,
          or(description, "the data does not match its hashes"));
      // The daemon rejects what the user typed (a path outside its data directory, a block size
      // out of range): as much a usage error as one picocli finds.
      case INVALID_ARGUMENT -> new CliFailure(ExitCodes.USAGE, or(description, "invalid argument"));
      case UNIMPLEMENTED -> new CliFailure(ExitCodes.FAILURE,
          where + " does not support this request (a different MiniBit version?)");
      case FAILED_PRECONDITION, ALREADY_EXISTS, OUT_OF_RANGE, RESOURCE_EXHAUSTED,
          PERMISSION_DENIED, UNAUTHENTICATED, ABORTED -> new CliFailure(ExitCodes.FAILURE,
          or(description, status.getCode().name().toLowerCase(Locale.ROOT).replace('_', ' ')));
      default -> new CliFailure(ExitCodes.FAILURE,
          where + " failed (" + status.getCode() + ")" + suffix(description));
    };
  }

  /** Server text on one line: a message with a newline would break "one line on stderr". */
  static String oneLine(String text) {
    if (text == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      out.append(Character.isISOControl(c) ? ' ' : c);
    }
    return out.toString().strip();
  }

  private static String suffix(String description) {
    return description.isEmpty() ? "" : ": " + description;
  }

  private static String or(String description, String fallback) {
    return description.isEmpty() ? fallback : description;
  }
}
