package io.minibit.core.cli;

import io.minibit.core.Logging;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The flags every MiniBit daemon has in the same words, as a picocli mixin: {@code --log-format}
 * and {@code --config}. (Each daemon says its own words for the flags it shares only by name,
 * such as {@code --port} or {@code --log-level}.) Filled by picocli; read after parsing.
 */
public final class DaemonOptions {
  @Option(names = "--log-format", paramLabel = "FORMAT", converter = LogFormatConverter.class,
      defaultValue = "${env:MINIBIT_LOG_FORMAT:-text}",
      description = "text: one line per record, an ISO-8601 UTC time first; json: one JSON "
          + "object per line (time, level, logger, thread, message, and trace_id and span_id "
          + "of the call or download it belongs to) (env MINIBIT_LOG_FORMAT; default: "
          + "${DEFAULT-VALUE}).")
  Logging.Format logFormat;

  // Read before the command line is parsed (ConfigFile.install): declared here for --help.
  @Option(names = ConfigFile.OPTION, paramLabel = "FILE",
      description = "A YAML file of settings, each named as its flag without the dashes "
          + "(data-dir: /srv/minibit; durations as 30s or 5m). A flag wins over its variable, "
          + "which wins over the file (env MINIBIT_CONFIG). Every setting: "
          + "docs/configuration.md.")
  Path configFile;

  /** How log records are written: {@code --log-format}. */
  public Logging.Format logFormat() {
    return logFormat;
  }
}
