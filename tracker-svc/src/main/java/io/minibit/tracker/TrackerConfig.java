package io.minibit.tracker;

import io.minibit.core.Validation;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a tracker can be configured with, validated once here. Immutable.
 *
 * @param port gRPC port, 1..65535, or 0 for any free port
 * @param dataDir directory that holds the catalog (in {@code <dataDir>/catalog})
 * @param heartbeatInterval how often peers heartbeat; a peer silent for {@value
 *     SwarmRegistry#MISSED_HEARTBEATS} intervals is expired. 1 s..1 day
 * @param announceInterval how often peers re-announce, 1 s..1 day
 * @param peerSampleSize peers returned by an announce that does not say how many it wants,
 *     1..{@value SwarmStore#MAX_SAMPLE_SIZE}
 * @param trustAdvertisedAddresses whether an announce's non-empty host is used as given; if false,
 *     the address the announce came from wins whenever the tracker can see it
 * @param store the Redis that holds swarms, sessions and the catalog, shared with other
 *     trackers; empty for the embedded store (memory, and the catalog in the data directory)
 * @param limits what callers may make the tracker hold
 */
public record TrackerConfig(
    int port,
    Path dataDir,
    Duration heartbeatInterval,
    Duration announceInterval,
    int peerSampleSize,
    boolean trustAdvertisedAddresses,
    Optional<RedisAddress> store,
    TrackerLimits limits) {

  public static final int DEFAULT_PORT = 6969;
  public static final String DEFAULT_DATA_DIR = "./tracker-data";
  /**
   * Five minutes, as trackers go (BitTorrent's hand out tens of minutes): a crashed peer stays
   * in its swarms for up to three of them (a peer that stops says so at once). Peers need no
   * shorter interval to find a restarted tracker (they watch its health stream), and a download
   * re-announces every few seconds whatever the interval.
   */
  public static final long DEFAULT_HEARTBEAT_SECONDS = 300;
  /**
   * The heartbeat interval: an announce keeps a session alive, so a peer that announces this
   * often has no heartbeat to send, and an idle swarm costs the tracker one call per peer and
   * torrent every five minutes.
   */
  public static final long DEFAULT_ANNOUNCE_SECONDS = DEFAULT_HEARTBEAT_SECONDS;
  public static final int DEFAULT_PEER_SAMPLE_SIZE = 50;
  public static final boolean DEFAULT_TRUST_ADVERTISED_ADDRESSES = false;
  /** HTTP port of /metrics; the flag, not this record, carries it (-1: none). */
  public static final int DEFAULT_HTTP_PORT = 9969;

  // Both intervals travel as uint32 milliseconds; a day keeps them far from overflowing.
  private static final Duration MIN_INTERVAL = Duration.ofSeconds(1);
  private static final Duration MAX_INTERVAL = Duration.ofDays(1);

  public TrackerConfig {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
    Objects.requireNonNull(announceInterval, "announceInterval");
    Validation.requireListenPort("--port", port, null);
    requireInterval("heartbeat interval", heartbeatInterval);
    requireInterval("announce interval", announceInterval);
    if (peerSampleSize < 1 || peerSampleSize > SwarmStore.MAX_SAMPLE_SIZE) {
      throw new IllegalArgumentException("peer sample size " + peerSampleSize + " is not 1.."
          + SwarmStore.MAX_SAMPLE_SIZE);
    }
  }

  /** A tracker on the embedded store. */
  public TrackerConfig(int port, Path dataDir, Duration heartbeatInterval,
      Duration announceInterval, int peerSampleSize, boolean trustAdvertisedAddresses) {
    this(port, dataDir, heartbeatInterval, announceInterval, peerSampleSize,
        trustAdvertisedAddresses, Optional.empty(), TrackerLimits.DEFAULTS);
  }

  /** The defaults, with the catalog under {@code dataDir}. */
  public static TrackerConfig defaults(Path dataDir) {
    return new TrackerConfig(DEFAULT_PORT, dataDir, Duration.ofSeconds(DEFAULT_HEARTBEAT_SECONDS),
        Duration.ofSeconds(DEFAULT_ANNOUNCE_SECONDS), DEFAULT_PEER_SAMPLE_SIZE,
        DEFAULT_TRUST_ADVERTISED_ADDRESSES);
  }

  public TrackerConfig withPort(int newPort) {
    return new TrackerConfig(newPort, dataDir, heartbeatInterval, announceInterval, peerSampleSize,
        trustAdvertisedAddresses, store, limits);
  }

  public TrackerConfig withPeerSampleSize(int newPeerSampleSize) {
    return new TrackerConfig(port, dataDir, heartbeatInterval, announceInterval,
        newPeerSampleSize, trustAdvertisedAddresses, store, limits);
  }

  public TrackerConfig withTrustAdvertisedAddresses(boolean trust) {
    return new TrackerConfig(port, dataDir, heartbeatInterval, announceInterval, peerSampleSize,
        trust, store, limits);
  }

  /** This configuration on the Redis at {@code address}. */
  public TrackerConfig withStore(RedisAddress address) {
    return new TrackerConfig(port, dataDir, heartbeatInterval, announceInterval, peerSampleSize,
        trustAdvertisedAddresses, Optional.of(address), limits);
  }

  /** This configuration with other limits. */
  public TrackerConfig withLimits(TrackerLimits newLimits) {
    return new TrackerConfig(port, dataDir, heartbeatInterval, announceInterval, peerSampleSize,
        trustAdvertisedAddresses, store, newLimits);
  }

  /** Where published manifests are kept. */
  public Path catalogDir() {
    return dataDir.resolve("catalog");
  }

  private static void requireInterval(String what, Duration interval) {
    if (interval.compareTo(MIN_INTERVAL) < 0 || interval.compareTo(MAX_INTERVAL) > 0) {
      String given = interval.getNano() == 0
          ? interval.getSeconds() + " s" : interval.toNanos() / 1_000_000.0 + " ms";
      throw new IllegalArgumentException(what + " " + given + " is not between 1 s and 1 day");
    }
  }
}
