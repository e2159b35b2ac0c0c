package io.minibit.cli;

import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Gives every option an environment twin: {@code --no-peers-timeout} defaults to
 * {@code MINIBIT_NO_PEERS_TIMEOUT}, {@code --peer} to {@code MINIBIT_PEER}. A flag on the command
 * line wins over the variable, which wins over the built-in default. Deriving the name from the
 * option keeps the rule uniform, so a new option gets its twin without anyone remembering to.
 */
final class EnvDefaults implements IDefaultValueProvider {
  static final String PREFIX = "MINIBIT_";

  private final Map<String, String> env;

  EnvDefaults(Map<String, String> env) {
    this.env = env;
  }

  /** The variable that stands in for {@code option}, e.g. "--block-size" to MINIBIT_BLOCK_SIZE. */
  static String variableFor(String longOptionName) {
    String bare = longOptionName.replaceFirst("^-+", "");
    return PREFIX + bare.replace('-', '_').toUpperCase(Locale.ROOT);
  }

  @Override
  public String defaultValue(ArgSpec argSpec) {
    if (!(argSpec instanceof OptionSpec option)
        || option.usageHelp()
        || option.versionHelp()) {
      return null;
    }
    String value = env.get(variableFor(option.longestName()));
    // An empty variable (MINIBIT_PEER= in a compose file) means "unset", not "empty address".
    return value == null || value.isBlank() ? null : value;
  }
}
