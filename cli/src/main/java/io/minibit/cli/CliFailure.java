package io.minibit.cli;

/**
 * A failure a command reports as one line on stderr ("minibit: " + message) and an exit code
 * from {@link ExitCodes}. Never printed with a stack trace: the message is the whole story.
 */
final class CliFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int exitCode;

  CliFailure(int exitCode, String message) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }
}
