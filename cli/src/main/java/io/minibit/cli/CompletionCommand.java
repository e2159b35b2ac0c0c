package io.minibit.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code minibit completion bash|zsh}: prints a completion script for the shell, made from the
 * command line's own model, so it knows every command and option of this version.
 */
@Command(
    name = "completion",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Print a script that completes minibit's commands and options in bash or zsh.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  source <(minibit completion bash)             # this shell",
        "  minibit completion bash > /etc/bash_completion.d/minibit",
        "  minibit completion zsh > \"${fpath[1]}/_minibit\"   # zsh (uses bashcompinit)"})
final class CompletionCommand implements Callable<Integer> {
  /** The shells the script is for: zsh runs bash's through its bashcompinit. */
  enum Shell { bash, zsh }

  private final CliContext context;

  @Spec
  CommandSpec spec;

  @Parameters(paramLabel = "SHELL", description = "bash or zsh.")
  Shell shell;

  CompletionCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() {
    context.out().print(AutoComplete.bash("minibit", spec.root().commandLine()));
    context.out().flush();
    return ExitCodes.OK;
  }
}
