package io.minibit.peer.policy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Which downloaded files a peer removes to stay within its cache: those nobody used for the seed
 * TTL, then the least recently used while the files take more than the cache may hold. Only
 * files the peer downloaded and now only seeds are ever chosen; files being downloaded count
 * toward the total but stay, and files a user shared are not the cache's at all.
 *
 * <p>A pure function of its inputs, like Kraken's agent cache with its {@code seeder_tti}.
 */
public final class Eviction {
  /**
   * A downloaded file.
   *
   * @param id what the caller knows it by
   * @param bytes its size on disk (a download's whole size, as it will be)
   * @param lastUsed when it was last asked for: a block served, or a download of it asked for
   * @param seeding whether it is complete and only seeded (the only ones that may go)
   */
  public record Entry<K>(K id, long bytes, Instant lastUsed, boolean seeding) {}

  private Eviction() {}

  /**
   * The entries to remove, least recently used first.
   *
   * @param maxBytes most bytes the entries may take, {@code incoming} included; 0 for no bound
   * @param ttl an entry unused for this long goes; zero for never
   * @param incoming bytes about to be added (a download starting), 0 if none
   */
  public static <K> List<Entry<K>> choose(List<Entry<K>> held, long maxBytes, Duration ttl,
      Instant now, long incoming) {
    List<Entry<K>> byAge = new ArrayList<>(held);
    byAge.sort(Comparator.comparing(Entry::lastUsed));
    List<Entry<K>> evicted = new ArrayList<>();
    long total = incoming;
    for (Entry<K> entry : held) {
      total += entry.bytes();
    }
    for (Entry<K> entry : byAge) {
      if (!entry.seeding()) {
        continue;
      }
      boolean idle = !ttl.isZero() && Duration.between(entry.lastUsed(), now).compareTo(ttl) >= 0;
      boolean over = maxBytes > 0 && total > maxBytes;
      if (idle || over) {
        evicted.add(entry);
        total -= entry.bytes();
      }
    }
    return evicted;
  }
}
