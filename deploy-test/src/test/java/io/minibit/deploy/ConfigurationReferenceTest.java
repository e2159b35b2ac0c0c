package io.minibit.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.minibit.core.cli.ConfigFile;
import io.minibit.peer.PeerMain;
import io.minibit.tracker.TrackerMain;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md is the daemons' own reference of their settings, made from their
 * command-line models: it fails when a flag is added, renamed or redescribed and the page was
 * not made again ({@code -Dminibit.docs.write=true} makes it).
 */
class ConfigurationReferenceTest {
  private static final Path PAGE = DeployFiles.root().resolve("docs/configuration.md");

  static String page() {
    return """
        # Configuration reference

        Every setting of the two daemons. Each is a flag, a `MINIBIT_*` variable, and a key of the
        YAML file `--config FILE` (or `MINIBIT_CONFIG`) names: the flag wins over the variable,
        which wins over the file, which wins over the default. Durations may be written `30s`,
        `500ms`, `5m`, `1h` or `7d`, and sizes `10G` (1024s) or `10GB` (1000s), in the file as on
        the command line. A key that is no setting is refused, naming it. For example:

        ```yaml
        # /etc/minibit/peer.yaml: minibit-peer --config /etc/minibit/peer.yaml
        tracker: tracker.example:6969
        data-dir: /srv/minibit
        upload-limit: 8192        # KiB/s
        cache-max-bytes: 200G     # downloaded files past it: least recently used deleted
        seed-ttl: 7d
        no-peers-timeout: 2m
        log-format: json
        ```

        This page is made from the daemons' command-line models (a test fails when it is stale;
        `mvn -pl deploy-test -am test -Dtest=ConfigurationReferenceTest -Dminibit.docs.write=true
        -Dsurefire.failIfNoSpecifiedTests=false` makes it again).

        ## minibit-tracker

        """ + ConfigFile.reference(TrackerMain.commandLine().getCommandSpec()) + """

        ## minibit-peer

        """ + ConfigFile.reference(PeerMain.commandLine().getCommandSpec());
  }

  @Test
  void theReferencePageIsTheDaemonsOwn() throws Exception {
    String expected = page();
    if (Boolean.getBoolean("minibit.docs.write")) {
      Files.writeString(PAGE, expected);
    }
    assertEquals(expected, Files.readString(PAGE), "docs/configuration.md is stale: make it "
        + "again with -Dminibit.docs.write=true (see the page)");
  }
}
