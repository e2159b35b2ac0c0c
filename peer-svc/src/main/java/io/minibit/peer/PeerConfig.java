package io.minibit.peer;

import io.minibit.core.Validation;
import io.minibit.core.identity.PeerKey;
import io.minibit.peer.policy.Allocation;
import io.minibit.peer.policy.Choker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything a peer daemon is configured with; immutable, validated on construction.
 *
 * @param tracker tracker targets as --tracker gives them: "host:port", or several, comma-separated,
 *     in order of preference, each "host:port" or "dns:///name:port" (see
 *     {@link io.minibit.core.grpc.TrackerTargets}); checked by whoever parses the flag
 * @param port peer port other peers dial; 0 picks a free one
 * @param controlHost address the control API binds to (127.0.0.1: only local callers)
 * @param controlPort TCP port of the control API; 0 picks a free one, -1 for none (the daemon
 *     then serves it on its Unix socket only)
 * @param dataDir the only directory the daemon reads shared files from and writes downloads to
 * @param advertiseHost address other peers should dial, or empty to let the tracker use the
 *     address it sees
 * @param advertisePort port other peers should dial (a port mapped to ours, say), or 0 for our
 *     own
 * @param limits the daemon's caps on bandwidth and on the disk its downloads take
 * @param noPeersTimeout default for how long a download may find no peer before its caller is
 *     told
 * @param swarm how this peer shares its uploads and spreads its requests
 * @param peerId this daemon's id in every swarm, and its telemetry's service.instance.id: the
 *     id of the key in {@link #keyFile} of the data directory (see {@link #peerIdIn})
 * @param metricsPerPeer whether /metrics has series per remote peer of each download (a label
 *     per peer: many series in a big swarm)
 */
public record PeerConfig(
    String tracker,
    int port,
    String controlHost,
    int controlPort,
    Path dataDir,
    String advertiseHost,
    int advertisePort,
    Limits limits,
    Duration noPeersTimeout,
    Swarm swarm,
    String peerId,
    boolean metricsPerPeer) {

  /**
   * The swarm policies.
   *
   * @param choking who gets upload slots: tit-for-tat (strangers) or cooperative (trusted)
   * @param uploadSlots regular upload slots per torrent (plus one optimistic); 0 uploads nothing
   * @param chokeInterval how often the slots are recomputed
   * @param optimisticInterval how long the optimistic slot stays with one peer
   * @param allocation how requests are spread over peers: "latency" or "even"
   * @param superSeeding a seeder shows each peer a few blocks at a time, so that its upload
   *     goes to each block once before any block twice
   */
  public record Swarm(Choker.Mode choking, int uploadSlots, Duration chokeInterval,
      Duration optimisticInterval, String allocation, boolean superSeeding) {
    public static final int DEFAULT_UPLOAD_SLOTS = 4;
    /**
     * Seconds between two choke rounds, and that the optimistic slot stays with one peer.
     * BitTorrent's 10 s suits the long downloads of an internet swarm; in a download of tens of
     * seconds, the downloaders that join last find every slot taken by the first (a free slot
     * goes to a newcomer at once) and wait for a round to win one by chance, their uploads idle
     * meanwhile. With 16 downloaders of 64 MiB behind 40 Mbit/s caps, eight alternating pairs
     * of runs: the slowest done 1.05 s sooner on average with 2 s than with 10 (20.0 against
     * 21.1 s), the tail after the seeder's last new block 3.8 s against 5.3.
     */
    public static final int DEFAULT_CHOKE_SECONDS = 2;

    public Swarm {
      if (uploadSlots < 0) {
        throw new IllegalArgumentException("--upload-slots must not be negative");
      }
      if (chokeInterval.toMillis() < 100 || optimisticInterval.toMillis() < 100) {
        throw new IllegalArgumentException("choke intervals must be at least 100 ms");
      }
      Allocation.named(allocation); // refuses an unknown name
    }

    public static Swarm defaults() {
      return new Swarm(Choker.Mode.TIT_FOR_TAT, DEFAULT_UPLOAD_SLOTS,
          Duration.ofSeconds(DEFAULT_CHOKE_SECONDS), Duration.ofSeconds(DEFAULT_CHOKE_SECONDS),
          "latency", false);
    }

    public Swarm withChoking(Choker.Mode mode, int slots) {
      return new Swarm(mode, slots, chokeInterval, optimisticInterval, allocation, superSeeding);
    }

    public Swarm withIntervals(Duration choke, Duration optimistic) {
      return new Swarm(choking, uploadSlots, choke, optimistic, allocation, superSeeding);
    }

    public Swarm withAllocation(String name) {
      return new Swarm(choking, uploadSlots, chokeInterval, optimisticInterval, name,
          superSeeding);
    }

    public Swarm withSuperSeeding(boolean on) {
      return new Swarm(choking, uploadSlots, chokeInterval, optimisticInterval, allocation, on);
    }
  }


  /**
   * What the daemon may take of the network and of the disk.
   *
   * @param uploadBytesPerSecond cap on the bytes served to other peers, 0 for none
   * @param downloadBytesPerSecond cap on the bytes fetched from other peers, 0 for none
   * @param cacheMaxBytes most bytes the files this daemon downloaded may take on disk: past it,
   *     the least recently used of those it only seeds are removed; 0 for no bound
   * @param seedTtl a downloaded file that nobody asked a block of for this long is removed;
   *     zero for never
   */
  public record Limits(long uploadBytesPerSecond, long downloadBytesPerSecond,
      long cacheMaxBytes, Duration seedTtl) {
    public static final Limits NONE = new Limits(0, 0, 0, Duration.ZERO);

    public Limits {
      Objects.requireNonNull(seedTtl, "seedTtl");
      if (uploadBytesPerSecond < 0) {
        throw new IllegalArgumentException("--upload-limit must not be negative");
      }
      if (downloadBytesPerSecond < 0) {
        throw new IllegalArgumentException("--download-limit must not be negative");
      }
      if (cacheMaxBytes < 0) {
        throw new IllegalArgumentException("--cache-max-bytes must not be negative");
      }
      if (seedTtl.isNegative()) {
        throw new IllegalArgumentException("--seed-ttl must not be negative");
      }
    }

    /** Whether downloaded files are ever removed to make room or for want of use. */
    public boolean evicts() {
      return cacheMaxBytes > 0 || !seedTtl.isZero();
    }
  }

  public static final int DEFAULT_PORT = 6881;
  public static final int DEFAULT_CONTROL_PORT = 6880;
  /** HTTP port of the swarm page and /metrics; the flag, not this record, carries it. */
  public static final int DEFAULT_HTTP_PORT = 9881;
  /** The daemon's own directory inside the data directory: its key, its transfers' records. */
  static final String STATE_DIR = ".minibit";

  public PeerConfig {
    Objects.requireNonNull(tracker, "tracker");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(peerId, "peerId");
    if (tracker.isBlank()) {
      throw new IllegalArgumentException("--tracker is empty: give the tracker as HOST:PORT");
    }
    Validation.requireListenPort("--port", port, null);
    Validation.requireListenPort("--control-port", controlPort,
        "to serve the control API on its Unix socket only");
    advertiseHost = advertiseHost == null ? "" : advertiseHost;
    if (!advertiseHost.isEmpty()) {
      Validation.requireHost("--advertise", advertiseHost);
    }
    if (advertisePort < 0 || advertisePort > 65535) {
      throw new IllegalArgumentException(
          Validation.notAPort("the port of --advertise", advertisePort, false, null));
    }
    Objects.requireNonNull(limits, "limits");
    if (noPeersTimeout.isNegative() || noPeersTimeout.isZero()) {
      throw new IllegalArgumentException("the no-peers timeout must be positive");
    }
  }

  /**
   * Where the peer keeping its files in {@code dataDir} keeps its key ({@link PeerKey}): the key
   * its peer id derives from and its publishes are signed with.
   */
  public static Path keyFile(Path dataDir) {
    return dataDir.resolve(STATE_DIR).resolve("peer.key");
  }

  /**
   * The peer id of the peer keeping its files in {@code dataDir}: its key's, the key made and
   * kept on first use, so the id stays the same across restarts.
   *
   * @throws IOException if the key file cannot be read or written, or is damaged
   */
  public static String peerIdIn(Path dataDir) throws IOException {
    return PeerKey.loadOrCreate(keyFile(dataDir)).peerId();
  }

  /** Defaults for a peer of {@code tracker} keeping its files (and its key) in {@code dataDir}. */
  public static PeerConfig defaults(String tracker, Path dataDir) {
    String peerId;
    try {
      peerId = peerIdIn(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new PeerConfig(tracker, DEFAULT_PORT, "127.0.0.1", DEFAULT_CONTROL_PORT, dataDir, "",
        0, Limits.NONE, Duration.ofSeconds(30), Swarm.defaults(), peerId, false);
  }

  public PeerConfig withPorts(int port, int controlPort) {
    return new PeerConfig(tracker, port, controlHost, controlPort, dataDir, advertiseHost,
        advertisePort, limits, noPeersTimeout, swarm, peerId, metricsPerPeer);
  }

  public PeerConfig withPeerId(String id) {
    return new PeerConfig(tracker, port, controlHost, controlPort, dataDir, advertiseHost,
        advertisePort, limits, noPeersTimeout, swarm, id, metricsPerPeer);
  }

  public PeerConfig withAdvertiseHost(String host) {
    return new PeerConfig(tracker, port, controlHost, controlPort, dataDir, host, advertisePort,
        limits, noPeersTimeout, swarm, peerId, metricsPerPeer);
  }

  /** Other peers dial {@code host:port} to reach this one (a proxy, a mapped port). */
  public PeerConfig withAdvertised(String host, int port) {
    return new PeerConfig(tracker, this.port, controlHost, controlPort, dataDir, host, port,
        limits, noPeersTimeout, swarm, peerId, metricsPerPeer);
  }

  public PeerConfig withSwarm(Swarm newSwarm) {
    return new PeerConfig(tracker, port, controlHost, controlPort, dataDir, advertiseHost,
        advertisePort, limits, noPeersTimeout, newSwarm, peerId, metricsPerPeer);
  }

  public PeerConfig withMetricsPerPeer(boolean perPeer) {
    return new PeerConfig(tracker, port, controlHost, controlPort, dataDir, advertiseHost,
        advertisePort, limits, noPeersTimeout, swarm, peerId, perPeer);
  }

  public PeerConfig withLimits(Limits newLimits) {
    return new PeerConfig(tracker, port, controlHost, controlPort, dataDir, advertiseHost,
        advertisePort, newLimits, noPeersTimeout, swarm, peerId, metricsPerPeer);
  }

  public PeerConfig withUploadLimit(long bytesPerSecond) {
    return withLimits(new Limits(bytesPerSecond, limits.downloadBytesPerSecond(),
        limits.cacheMaxBytes(), limits.seedTtl()));
  }
}
