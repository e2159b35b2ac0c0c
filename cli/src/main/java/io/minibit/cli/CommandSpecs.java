package io.minibit.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The commands' picocli models, built in code. Picocli can read a model from annotations, but at
 * every start it then reads each annotated field through reflection and defines a proxy class
 * per annotation type: a quarter of the CPU of a {@code minibit get}. Built here, a model costs a
 * few builder calls; a command reads its values back from its model once picocli has parsed the
 * command line.
 */
final class CommandSpecs {
  private CommandSpecs() {}

  /**
   * The model of a command named {@code name} that runs {@code command}: with {@code --help} and
   * {@code --version}, and a synopsis that abbreviates its options.
   */
  static CommandSpec command(Callable<Integer> command, String name, String... description) {
    CommandSpec spec = CommandSpec.wrapWithoutInspection(command).name(name);
    addStandardHelpOptions(spec);
    spec.usageMessage().abbreviateSynopsis(true).description(description);
    return spec;
  }

  /**
   * {@code -h/--help} and {@code -V/--version}, as picocli's standard help options read, without
   * the annotated mixin picocli would read them from.
   */
  static void addStandardHelpOptions(CommandSpec spec) {
    spec.versionProvider(new VersionProvider());
    spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true)
        .description("Show this help message and exit.").build());
    spec.addOption(OptionSpec.builder("-V", "--version").versionHelp(true)
        .description("Print version information and exit.").build());
  }

  /** Ends the command's help with {@code lines}: its examples, then any notes. */
  static void examples(CommandSpec spec, String... lines) {
    spec.usageMessage().footerHeading("%nExamples:%n").footer(lines);
  }

  /** An option that takes no value: false unless given (or its variable says true). */
  static OptionSpec flag(String description, String... names) {
    return OptionSpec.builder(names).type(boolean.class).initialValue(false)
        .description(description).build();
  }

  /** The one positional parameter of a command, named {@code label} in its help. */
  static PositionalParamSpec parameter(String label, Class<?> type, String description) {
    return PositionalParamSpec.builder().paramLabel(label).type(type).arity("1").required(true)
        .description(description).build();
  }

  /** The value {@code option} of {@code spec} was given on the command line or defaulted to. */
  static <T> T value(CommandSpec spec, String option) {
    return spec.findOption(option).getValue();
  }

  /** Whether the flag {@code option} of {@code spec} is set (given, or true by its variable). */
  static boolean isSet(CommandSpec spec, String option) {
    return spec.findOption(option).<Boolean>getValue();
  }

  /** The value of the positional parameter of {@code spec}. */
  static <T> T parameter(CommandSpec spec) {
    return spec.positionalParameters().get(0).getValue();
  }
}
