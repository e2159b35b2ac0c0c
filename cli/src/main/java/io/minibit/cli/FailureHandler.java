package io.minibit.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns whatever a command throws into one line on stderr and an exit code; never a stack
 * trace, which tells a user nothing and hides the line that does.
 */
final class FailureHandler implements IExecutionExceptionHandler {
  @Override
  public int handleExecutionException(Exception ex, CommandLine command, ParseResult parsed) {
    PrintWriter err = command.getErr();
    int code;
    String message;
    if (ex instanceof CliFailure failure) {
      code = failure.exitCode();
      message = failure.getMessage();
    } else {
      // A bug, not a condition a user can act on; still one line, with enough to report it.
      code = ExitCodes.FAILURE;
      String detail = ex.getMessage();
      message = "unexpected " + ex.getClass().getSimpleName()
          + (detail == null ? "" : ": " + detail);
    }
    err.println("minibit: " + StatusMessages.oneLine(message));
    err.flush();
    return code;
  }
}
