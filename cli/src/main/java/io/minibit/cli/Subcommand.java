package io.minibit.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;

/** A command of {@code minibit}: runs once picocli has parsed its line into its model. */
interface Subcommand extends Callable<Integer> {
  /** The command's model (see {@link CommandSpecs}), whose values {@link #call} reads. */
  CommandSpec spec();
}
