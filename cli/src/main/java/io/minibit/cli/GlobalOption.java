package io.minibit.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * Lets an option be given before the command as well as after it: {@code minibit --peer X get}
 * and {@code minibit get --peer X} mean the same. Given after the command it wins; given before,
 * it beats the environment variable and the default.
 */
final class GlobalOption {
  private GlobalOption() {}

  /** The value of {@code name} for {@code command}, whose own (possibly defaulted) value is {@code own}. */
  static <T> T resolve(CommandSpec command, String name, T own) {
    if (matched(command, name) || command.parent() == null || !matched(command.parent(), name)) {
      return own;
    }
    return command.parent().findOption(name).getValue();
  }

  private static boolean matched(CommandSpec spec, String name) {
    ParseResult result = spec.commandLine().getParseResult();
    return result != null && result.hasMatchedOption(name);
  }
}
