package io.minibit.peer.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class EvictionTest {
  private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");

  private static Eviction.Entry<String> seed(String id, long bytes, long minutesAgo) {
    return new Eviction.Entry<>(id, bytes, NOW.minus(Duration.ofMinutes(minutesAgo)), true);
  }

  private static List<String> chosen(List<Eviction.Entry<String>> held, long max, Duration ttl,
      long incoming) {
    return Eviction.choose(held, max, ttl, NOW, incoming).stream().map(Eviction.Entry::id)
        .toList();
  }

  @Test
  void withinBoundsAndFreshNothingGoes() {
    assertEquals(List.of(), chosen(List.of(seed("a", 10, 5), seed("b", 10, 1)), 100,
        Duration.ofHours(1), 0));
    assertEquals(List.of(), chosen(List.of(seed("a", 10, 500)), 0, Duration.ZERO, 1000),
        "no bound and no TTL: a cache that never evicts");
  }

  @Test
  void overTheBoundTheLeastRecentlyUsedGoFirstAndOnlyAsManyAsNeeded() {
    List<Eviction.Entry<String>> held = List.of(seed("new", 40, 1), seed("old", 40, 30),
        seed("middle", 40, 10));
    assertEquals(List.of("old"), chosen(held, 100, Duration.ZERO, 0));
    assertEquals(List.of("old", "middle"), chosen(held, 100, Duration.ZERO, 50),
        "room for an incoming download");
  }

  @Test
  void aDownloadInProgressCountsButNeverGoes() {
    Eviction.Entry<String> downloading =
        new Eviction.Entry<>("downloading", 90, NOW.minus(Duration.ofDays(3)), false);
    assertEquals(List.of("seed"), chosen(List.of(downloading, seed("seed", 20, 1)), 100,
        Duration.ofHours(1), 0));
  }

  @Test
  void pastTheTtlAnEntryGoesWhateverRoomThereIs() {
    assertEquals(List.of("idle"), chosen(List.of(seed("idle", 1, 61), seed("busy", 1, 59)), 0,
        Duration.ofHours(1), 0));
  }
}
