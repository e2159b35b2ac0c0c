package io.minibit.core.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * A daemon's {@code --config FILE}: a YAML mapping of its settings, each named as its long flag
 * without the dashes ({@code data-dir: /srv/minibit}). A setting comes from the flag if given,
 * else from its {@code MINIBIT_*} variable, else from the file, else its default. Durations (the
 * settings counted in seconds) may be written {@code 30s}, {@code 5m} or {@code 1h}. A key that
 * is no setting is refused, so a typo does not pass for a default.
 */
public final class ConfigFile implements CommandLine.IDefaultValueProvider {
  /** The flag, and its variable, that name the file. */
  public static final String OPTION = "--config";
  public static final String VARIABLE = "MINIBIT_CONFIG";

  private static final Set<String> NOT_SETTINGS = Set.of("help", "version", "config");

  private final Path file;
  private final Map<String, String> values;
  private final Map<String, String> env;

  private ConfigFile(Path file, Map<String, String> values, Map<String, String> env) {
    this.file = file;
    this.values = values;
    this.env = env;
  }

  /**
   * Reads the file {@code args} ({@code --config FILE}) or {@code env} ({@code MINIBIT_CONFIG})
   * name, if any, and has {@code command} take its defaults from it. IllegalArgumentException,
   * naming the file, if it cannot be read, is not a mapping of settings, or names a setting
   * {@code command} does not have.
   */
  public static Optional<ConfigFile> install(CommandLine command, String[] args,
      Map<String, String> env) {
    Optional<Path> named = named(args, env);
    if (named.isEmpty()) {
      return Optional.empty();
    }
    Path file = named.get();
    ConfigFile config = new ConfigFile(file, read(file), env);
    config.check(command.getCommandSpec());
    command.setDefaultValueProvider(config);
    return Optional.of(config);
  }

  /**
   * Runs {@code command} on {@code args} with the config file they (or {@code env}) name, and
   * returns its exit code; a file that cannot be used is a usage error of {@code program}, said
   * in one line.
   */
  public static int execute(CommandLine command, String[] args, Map<String, String> env,
      String program, int usageExitCode) {
    try {
      install(command, args, env);
    } catch (IllegalArgumentException e) {
      command.getErr().println(program + ": " + e.getMessage());
      return usageExitCode;
    }
    return command.execute(args);
  }

  /** The file {@code --config FILE} (or {@code --config=FILE}) names, else MINIBIT_CONFIG. */
  static Optional<Path> named(String[] args, Map<String, String> env) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--")) {
        break;
      }
      if (args[i].equals(OPTION) && i + 1 < args.length) {
        return Optional.of(Path.of(args[i + 1]));
      }
      if (args[i].startsWith(OPTION + "=")) {
        return Optional.of(Path.of(args[i].substring(OPTION.length() + 1)));
      }
    }
    String variable = env.get(VARIABLE);
    return variable == null || variable.isBlank() ? Optional.empty()
        : Optional.of(Path.of(variable));
  }

  private static Map<String, String> read(Path file) {
    Object document;
    try (Reader in = Files.newBufferedReader(file)) {
      document = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("config file " + file + " does not exist");
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read config file " + file + ": " + e.getMessage());
    } catch (YAMLException e) {
      throw new IllegalArgumentException("config file " + file + " is not valid YAML: "
          + e.getMessage().lines().findFirst().orElse(""));
    }
    if (document == null) {
      return Map.of(); // empty: every setting as if there were no file
    }
    if (!(document instanceof Map<?, ?> mapping)) {
      throw new IllegalArgumentException("config file " + file
          + " must be a mapping of settings (data-dir: /srv/minibit), not a list or a value");
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (Map.Entry<?, ?> entry : mapping.entrySet()) {
      String key = String.valueOf(entry.getKey());
      Object value = entry.getValue();
      if (value instanceof Map || value instanceof List) {
        throw new IllegalArgumentException("config file " + file + ": " + key
            + " must be a single value");
      }
      values.put(key, value == null ? "" : String.valueOf(value));
    }
    return values;
  }

  /** Every key of the file names a setting of {@code command}. */
  private void check(CommandSpec command) {
    Set<String> settings = settings(command);
    List<String> unknown = new ArrayList<>();
    for (String key : values.keySet()) {
      if (!settings.contains(key)) {
        unknown.add(key);
      }
    }
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("config file " + file + ": no setting named "
          + String.join(", ", unknown) + " (the settings are the long flags without their "
          + "dashes: " + String.join(", ", settings) + ")");
    }
    for (OptionSpec option : command.options()) {
      String value = values.get(settingName(option));
      if (value != null && isSeconds(option)) {
        seconds(settingName(option), value, option); // refused here, before anything starts
      }
    }
  }

  /** The names a config file may use: each option's long name without its dashes. */
  public static Set<String> settings(CommandSpec command) {
    Set<String> names = new TreeSet<>();
    for (OptionSpec option : command.options()) {
      String name = settingName(option);
      if (!NOT_SETTINGS.contains(name)) {
        names.add(name);
      }
    }
    return names;
  }

  /** {@code option}'s longest name, without its dashes. */
  public static String settingName(OptionSpec option) {
    return option.longestName().replaceFirst("^-+", "");
  }

  /** The variable that sets {@code setting}: MINIBIT_ and its name in capitals. */
  public static String variable(String setting) {
    return "MINIBIT_" + setting.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec option)) {
      return null;
    }
    String setting = settingName(option);
    String value = values.get(setting);
    if (value == null) {
      return null; // the flag's own default, which reads its variable first
    }
    String fromEnv = env.get(variable(setting));
    if (fromEnv != null && !fromEnv.isEmpty()) {
      return fromEnv; // a variable wins over the file
    }
    return isSeconds(option) ? seconds(setting, value, option) : value;
  }

  /** Options counted in seconds: those whose parameter reads SECONDS. */
  private static boolean isSeconds(OptionSpec option) {
    return "SECONDS".equals(option.paramLabel());
  }

  /** A duration of the file, as the option's type takes it: whole seconds, or a fraction. */
  String seconds(String setting, String value, OptionSpec option) {
    try {
      Class<?> type = option.type();
      return type == double.class || type == Double.class
          ? Double.toString(Durations.seconds(value))
          : Long.toString(Durations.wholeSeconds(value));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("config file " + file + ": " + setting + " "
          + e.getMessage());
    }
  }

  /**
   * The reference of every setting of {@code command}, as a Markdown table: its name in a config
   * file, its flag, its variable, its default and what it does. Made from the command's own
   * model, so it cannot drift from what the daemon takes.
   */
  public static String reference(CommandSpec command) {
    StringBuilder out = new StringBuilder()
        .append("| setting | flag | variable | default | what |\n")
        .append("|---|---|---|---|---|\n");
    for (OptionSpec option : command.options()) {
      String setting = settingName(option);
      if (NOT_SETTINGS.contains(setting) || option.hidden()) {
        continue;
      }
      String flag = option.longestName() + (option.arity().max() > 0 ? " " + option.paramLabel()
          : "");
      String description = String.join(" ", option.description())
          .replace("${DEFAULT-VALUE}", String.valueOf(shownDefault(option)))
          .replace("|", "\\|");
      out.append("| `").append(setting).append("` | `").append(flag).append("` | `")
          .append(variable(setting)).append("` | ").append(shownDefault(option)).append(" | ")
          .append(description).append(" |\n");
    }
    return out.toString();
  }

  /** The default when neither a flag, a variable nor a file sets it. */
  private static String shownDefault(OptionSpec option) {
    String value = option.defaultValue(); // its ${env:...:-default}, resolved
    return value == null || value.isEmpty() ? "none" : "`" + value + "`";
  }
}
