package io.minibit.cli;

import picocli.AutoComplete;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code minibit completion bash|zsh}: prints a completion script for the shell, made from the
 * command line's own model, so it knows every command and option of this version.
 */
final class CompletionCommand implements Subcommand {
  /** The shells the script is for: zsh runs bash's through its bashcompinit. */
  enum Shell { bash, zsh }

  private final CliContext context;
  private final CommandSpec spec;

  CompletionCommand(CliContext context) {
    this.context = context;
    spec = CommandSpecs.command(this, "completion",
        "Print a script that completes minibit's commands and options in bash or zsh.");
    spec.usageMessage().abbreviateSynopsis(false); // the synopsis is short: [-hV] SHELL
    spec.addPositional(CommandSpecs.parameter("SHELL", Shell.class, "bash or zsh."));
    CommandSpecs.examples(spec,
        "  source <(minibit completion bash)             # this shell",
        "  minibit completion bash > /etc/bash_completion.d/minibit",
        "  minibit completion zsh > \"${fpath[1]}/_minibit\"   # zsh (uses bashcompinit)");
  }

  @Override
  public CommandSpec spec() {
    return spec;
  }

  @Override
  public Integer call() {
    context.out().print(AutoComplete.bash("minibit", spec.root().commandLine()));
    context.out().flush();
    return ExitCodes.OK;
  }
}
