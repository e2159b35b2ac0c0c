package io.minibit.peer;

import io.minibit.core.cli.Durations;
import io.minibit.peer.policy.Choker;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The flags of the swarm policies (who gets upload slots, how requests are spread), as a picocli
 * mixin of {@link PeerMain}. Filled by picocli; read after parsing.
 */
final class SwarmOptions {
  @Option(names = "--choking", paramLabel = "POLICY",
      defaultValue = "${env:MINIBIT_CHOKING:-tit-for-tat}",
      description = "Who gets upload slots: tit-for-tat (who gives most; for strangers) or "
          + "cooperative (everyone in turn; for trusted clusters) "
          + "(env MINIBIT_CHOKING; default: ${DEFAULT-VALUE}).")
  String choking;

  @Option(names = "--upload-slots", paramLabel = "N",
      defaultValue = "${env:MINIBIT_UPLOAD_SLOTS:-4}",
      description = "Peers served at once per torrent, plus one optimistic slot; 0 uploads "
          + "nothing (env MINIBIT_UPLOAD_SLOTS; default: ${DEFAULT-VALUE}).")
  int uploadSlots;

  @Option(names = "--choke-interval", paramLabel = "SECONDS",
      converter = Durations.Seconds.class,
      defaultValue = "${env:MINIBIT_CHOKE_INTERVAL:-"
          + PeerConfig.Swarm.DEFAULT_CHOKE_SECONDS + "}",
      description = "How often the upload slots are given out again "
          + "(env MINIBIT_CHOKE_INTERVAL; default: ${DEFAULT-VALUE}).")
  double chokeIntervalSeconds;

  @Option(names = "--optimistic-interval", paramLabel = "SECONDS",
      converter = Durations.Seconds.class,
      defaultValue = "${env:MINIBIT_OPTIMISTIC_INTERVAL:-"
          + PeerConfig.Swarm.DEFAULT_CHOKE_SECONDS + "}",
      description = "How long the optimistic slot stays with one peer "
          + "(env MINIBIT_OPTIMISTIC_INTERVAL; default: ${DEFAULT-VALUE}).")
  double optimisticIntervalSeconds;

  @Option(names = "--allocation", paramLabel = "POLICY",
      defaultValue = "${env:MINIBIT_ALLOCATION:-latency}",
      description = "How downloads spread requests over peers: latency (near and fast peers "
          + "get more) or even (the same for all) "
          + "(env MINIBIT_ALLOCATION; default: ${DEFAULT-VALUE}).")
  String allocation;

  @Option(names = "--super-seeding", paramLabel = "true|false", arity = "1",
      defaultValue = "${env:MINIBIT_SUPER_SEEDING:-false}",
      description = "Seeders show each peer a few blocks at a time, so their upload goes to "
          + "each block once before any twice; for a first seeder facing many downloaders "
          + "(env MINIBIT_SUPER_SEEDING; default: ${DEFAULT-VALUE}).")
  boolean superSeeding;

  /** The policies; IllegalArgumentException for an unknown name or a bad interval. */
  PeerConfig.Swarm swarm() {
    return new PeerConfig.Swarm(Choker.Mode.named(choking), uploadSlots,
        seconds(chokeIntervalSeconds), seconds(optimisticIntervalSeconds), allocation,
        superSeeding);
  }

  private static Duration seconds(double value) {
    return Duration.ofMillis(Math.round(value * 1000));
  }
}
