package io.minibit.core.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version every MiniBit program reports (the build's, filtered into version.properties), so
 * that {@code minibit}, {@code minibit-peer} and {@code minibit-tracker} of one build agree.
 */
public final class Version {
  private Version() {}

  /** The build's version, "unknown" if the resource is missing (an unfiltered build). */
  public static String current() {
    Properties properties = new Properties();
    try (InputStream in = Version.class.getResourceAsStream("/io/minibit/core/version.properties")) {
      if (in != null) {
        properties.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return properties.getProperty("version", "unknown");
  }

  /** What {@code program --version} prints: the program and its version, then the JVM's. */
  public static String[] lines(String program) {
    return new String[] {
        program + " " + current(),
        "Java " + Runtime.version() + " (" + System.getProperty("java.vendor", "?") + ")"
    };
  }
}
