package io.minibit.core;

import io.minibit.api.v2.DownloadEta;
import io.minibit.api.v2.SwarmHealth;
import java.util.Collection;

/**
 * Computes a torrent's swarm health (swarm.proto) from what is known of its members: a pure
 * function, shared by the tracker (members are announces) and the peer (members are the peers
 * it downloads from, and itself).
 */
public final class SwarmHealthCalculator {
  /**
   * One member of the swarm.
   *
   * @param have its bitfield, or null when only its count is known
   * @param haveCount verified blocks it holds
   * @param complete it holds every block
   * @param downloadRate bytes per second it receives lately
   */
  public record Member(String peerId, Bitfield have, int haveCount, boolean complete,
      double downloadRate) {}

  private SwarmHealthCalculator() {}

  public static SwarmHealth compute(Torrent torrent, Collection<Member> members) {
    int blocks = torrent.blockCount();
    int[] availability = new int[blocks];
    SwarmHealth.Builder health = SwarmHealth.newBuilder()
        .setInfohash(torrent.infoHash().hex())
        .setBlockCount(blocks);
    int seeders = 0;
    int leechers = 0;
    for (Member member : members) {
      if (member.complete()) {
        seeders++;
        for (int i = 0; i < blocks; i++) {
          availability[i]++;
        }
        continue;
      }
      leechers++;
      if (member.have() != null) {
        member.have().setBits().forEach(i -> availability[i]++);
      }
      long remaining = Math.max(0, torrent.size()
          - (long) member.haveCount() * torrent.blockSize());
      double rate = member.downloadRate();
      health.addDownloads(DownloadEta.newBuilder()
          .setPeerId(member.peerId())
          .setBlocksHave(member.haveCount())
          .setDownloadRate(rate)
          .setEtaMs(rate > 0 ? (long) Math.ceil(remaining * 1000.0 / rate) : -1));
    }
    for (int count : availability) {
      health.addAvailability(count);
    }
    return health.setSeeders(seeders)
        .setLeechers(leechers)
        .setDistributedCopies(distributedCopies(availability))
        .build();
  }

  /** The rarest block's count plus the fraction of blocks held more often than it. */
  static double distributedCopies(int[] availability) {
    if (availability.length == 0) {
      return 0;
    }
    int min = Integer.MAX_VALUE;
    for (int count : availability) {
      min = Math.min(min, count);
    }
    int above = 0;
    for (int count : availability) {
      if (count > min) {
        above++;
      }
    }
    return min + (double) above / availability.length;
  }
}
