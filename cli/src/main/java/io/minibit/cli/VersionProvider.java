package io.minibit.cli;

import io.minibit.core.cli.Version;
import picocli.CommandLine.IVersionProvider;

/** {@code --version}: the build's version and the JVM's. */
final class VersionProvider implements IVersionProvider {
  @Override
  public String[] getVersion() {
    return Version.lines("minibit");
  }
}
