package io.minibit.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * Computes a torrent's swarm health from what is known of its members: a pure function, shared
 * by the tracker (members are announces) and the peer (members are the peers it downloads from,
 * and itself). The services map its {@link Health} to swarm.proto's SwarmHealth
 * ({@link SwarmHealthProtos}).
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

  /**
   * How far one leecher is from done.
   *
   * @param blocksHave verified blocks it holds
   * @param downloadRate bytes per second it receives lately
   * @param etaMs milliseconds until it holds every block at that rate; -1 if it receives nothing
   */
  public record Eta(String peerId, int blocksHave, double downloadRate, long etaMs) {}

  /**
   * A swarm's health.
   *
   * @param seeders members that hold every block
   * @param leechers the others
   * @param availability for each block, the members that hold it
   * @param distributedCopies the rarest block's count plus the fraction of blocks held more often
   * @param downloads each leecher's progress, in the order of the members
   */
  public record Health(InfoHash infoHash, int blockCount, int seeders, int leechers,
      List<Integer> availability, double distributedCopies, List<Eta> downloads) {}

  private SwarmHealthCalculator() {}

  public static Health compute(Torrent torrent, Collection<Member> members) {
    int blocks = torrent.blockCount();
    int[] availability = new int[blocks];
    List<Eta> downloads = new ArrayList<>();
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
      downloads.add(new Eta(member.peerId(), member.haveCount(), rate,
          rate > 0 ? (long) Math.ceil(remaining * 1000.0 / rate) : -1));
    }
    return new Health(torrent.infoHash(), blocks, seeders, leechers,
        Arrays.stream(availability).boxed().toList(),
        distributedCopies(availability), List.copyOf(downloads));
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
