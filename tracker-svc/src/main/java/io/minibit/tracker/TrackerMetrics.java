package io.minibit.tracker;

import io.minibit.core.InfoHash;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;

/**
 * The tracker's metrics, read from the catalog and the registry whenever they are collected
 * (a scrape of /metrics, an OTLP export): nothing is counted twice and the domain stays free
 * of telemetry.
 */
final class TrackerMetrics {
  static final AttributeKey<String> INFOHASH = AttributeKey.stringKey("infohash");
  static final AttributeKey<String> ROLE = AttributeKey.stringKey("role");

  private TrackerMetrics() {}

  static void register(Meter meter, CatalogStore catalog, SwarmStore registry) {
    meter.gaugeBuilder("minibit.tracker.torrents").ofLongs()
        .setDescription("Torrents in the catalog")
        .buildWithCallback(m -> m.record(catalog.size()));
    meter.gaugeBuilder("minibit.tracker.swarm.peers").ofLongs()
        .setDescription("Live peers of each swarm, by role (seeder, leecher)")
        .buildWithCallback(m -> registry.allCounts().forEach((infoHash, counts) -> {
          m.record(counts.seeders(), Attributes.of(INFOHASH, infoHash.hex(), ROLE, "seeder"));
          m.record(counts.leechers(), Attributes.of(INFOHASH, infoHash.hex(), ROLE, "leecher"));
        }));
    meter.counterBuilder("minibit.tracker.announces")
        .setDescription("Announces taken (their rate is announces per second)")
        .buildWithCallback(m -> m.record(registry.announceCount()));
    meter.counterBuilder("minibit.tracker.expirations")
        .setDescription("Peer sessions dropped for missing their heartbeats")
        .buildWithCallback(m -> m.record(registry.expiredCount()));
    meter.gaugeBuilder("minibit.swarm.distributed_copies")
        .setDescription("Full copies of each torrent in its swarm, as announces describe it")
        .buildWithCallback(m -> {
          for (InfoHash swarm : registry.allCounts().keySet()) {
            catalog.get(swarm).ifPresent(torrent -> m.record(
                registry.health(torrent).distributedCopies(),
                Attributes.of(INFOHASH, torrent.infoHash().hex())));
          }
        });
  }
}
