package io.minibit.core;

import io.minibit.api.v2.DownloadEta;
import io.minibit.api.v2.SwarmHealth;

/**
 * Maps a {@link SwarmHealthCalculator.Health} to swarm.proto's SwarmHealth, for the services
 * that answer with it (the tracker's GetSwarmHealth, the peer's GetLocalSwarmHealth). Stateless.
 */
public final class SwarmHealthProtos {
  private SwarmHealthProtos() {}

  public static SwarmHealth toProto(SwarmHealthCalculator.Health health) {
    SwarmHealth.Builder proto = SwarmHealth.newBuilder()
        .setInfohash(health.infoHash().hex())
        .setBlockCount(health.blockCount())
        .setSeeders(health.seeders())
        .setLeechers(health.leechers())
        .addAllAvailability(health.availability())
        .setDistributedCopies(health.distributedCopies());
    for (SwarmHealthCalculator.Eta eta : health.downloads()) {
      proto.addDownloads(DownloadEta.newBuilder()
          .setPeerId(eta.peerId())
          .setBlocksHave(eta.blocksHave())
          .setDownloadRate(eta.downloadRate())
          .setEtaMs(eta.etaMs()));
    }
    return proto.build();
  }
}
