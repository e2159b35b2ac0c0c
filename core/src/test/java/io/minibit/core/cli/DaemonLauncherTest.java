package io.minibit.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Properties;
import org.junit.jupiter.api.Test;

/** What a daemon's start sets for itself. */
class DaemonLauncherTest {
  @Test
  void aRunningDaemonLeavesNettysLeakDetectionOffUnlessToldOtherwise() {
    Properties unset = new Properties();
    DaemonLauncher.runningDefaults(unset);
    assertEquals("disabled", unset.getProperty(DaemonLauncher.LEAK_DETECTION));

    Properties chosen = new Properties();
    chosen.setProperty(DaemonLauncher.LEAK_DETECTION, "paranoid");
    DaemonLauncher.runningDefaults(chosen);
    assertEquals("paranoid", chosen.getProperty(DaemonLauncher.LEAK_DETECTION));
  }
}
