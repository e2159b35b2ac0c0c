package io.minibit.tracker;

import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;

/**
 * What one tracker lets callers make it hold, so that no caller can fill its memory (or its
 * Redis): past a limit the call is RESOURCE_EXHAUSTED, with a message naming the limit and its
 * flag.
 *
 * @param maxSwarmMembers peers in one swarm; a new member of a full swarm is refused (members
 *     already in it keep announcing)
 * @param maxSessionsPerAddress live sessions opened from one source address; a peer behind the
 *     same NAT as many others may need this raised. On Redis, a session counts while it keeps
 *     announcing (heartbeats alone do not refresh its count)
 * @param maxHealthMembers the largest swarm GetSwarmHealth answers for: its answer lists every
 *     download and costs a pass over every member
 * @param maxCatalogBytes the manifests of the whole catalog, in bytes as stored; the embedded
 *     store holds them all in memory, and a tracker restarted over a catalog larger than this
 *     (a lowered limit) loads the most recent manifests up to it
 * @param maxManifestsPerPublisher manifests one publisher may hold in the catalog (the versions
 *     of every name it owns)
 * @param maxBytesPerPublisher bytes of those manifests
 */
public record TrackerLimits(int maxSwarmMembers, int maxSessionsPerAddress,
    int maxHealthMembers, long maxCatalogBytes, int maxManifestsPerPublisher,
    long maxBytesPerPublisher) {
  public static final int DEFAULT_MAX_SWARM_MEMBERS = 50_000;
  public static final int DEFAULT_MAX_SESSIONS_PER_ADDRESS = 1_000;
  public static final int DEFAULT_MAX_HEALTH_MEMBERS = 10_000;
  public static final long DEFAULT_MAX_CATALOG_BYTES = 256L * 1024 * 1024;
  public static final int DEFAULT_MAX_MANIFESTS_PER_PUBLISHER = 10_000;
  public static final long DEFAULT_MAX_BYTES_PER_PUBLISHER = 64L * 1024 * 1024;
  public static final TrackerLimits DEFAULTS = new TrackerLimits(DEFAULT_MAX_SWARM_MEMBERS,
      DEFAULT_MAX_SESSIONS_PER_ADDRESS, DEFAULT_MAX_HEALTH_MEMBERS, DEFAULT_MAX_CATALOG_BYTES,
      DEFAULT_MAX_MANIFESTS_PER_PUBLISHER, DEFAULT_MAX_BYTES_PER_PUBLISHER);

  public TrackerLimits {
    requirePositive("--max-swarm-members", maxSwarmMembers);
    requirePositive("--max-sessions-per-address", maxSessionsPerAddress);
    requirePositive("--max-health-members", maxHealthMembers);
    requirePositive("--max-catalog-bytes", maxCatalogBytes);
    requirePositive("--max-manifests-per-publisher", maxManifestsPerPublisher);
    requirePositive("--max-bytes-per-publisher", maxBytesPerPublisher);
  }

  /** These limits with the catalog's and no bound per publisher but the catalog's. */
  public static TrackerLimits ofCatalog(long maxCatalogBytes) {
    return new TrackerLimits(DEFAULT_MAX_SWARM_MEMBERS, DEFAULT_MAX_SESSIONS_PER_ADDRESS,
        DEFAULT_MAX_HEALTH_MEMBERS, maxCatalogBytes, Integer.MAX_VALUE, Long.MAX_VALUE);
  }

  /** RESOURCE_EXHAUSTED for a new manifest of {@code publisher}, who holds enough already. */
  static MinibitException publisherFull(Publisher publisher, long manifests,
      long bytes, long adding, TrackerLimits limits) {
    boolean count = manifests + 1 > limits.maxManifestsPerPublisher();
    return new MinibitException(ErrorCode.RESOURCE_EXHAUSTED,
        count
            ? String.format("publisher %s holds %d manifests, the most this tracker keeps for"
                + " one publisher (--max-manifests-per-publisher)", publisher, manifests)
            : String.format("publisher %s holds %d bytes of manifests; %d more would pass the"
                + " %d this tracker keeps for one publisher (--max-bytes-per-publisher)",
                publisher, bytes, adding, limits.maxBytesPerPublisher()));
  }

  /**
   * Whether a publisher holding {@code manifests} of {@code bytes} may add one of {@code
   * adding}.
   */
  boolean publisherFits(long manifests, long bytes, long adding) {
    return manifests + 1 <= maxManifestsPerPublisher && bytes + adding <= maxBytesPerPublisher;
  }

  private static void requirePositive(String flag, long value) {
    if (value < 1) {
      throw new IllegalArgumentException(flag + " " + value + " is not a positive number");
    }
  }

  static MinibitException swarmFull(InfoHash infoHash, long members, int limit) {
    return new MinibitException(ErrorCode.RESOURCE_EXHAUSTED, String.format(
        "swarm %s is full: it has %d members and this tracker takes at most %d in one swarm"
            + " (--max-swarm-members)", infoHash, members, limit));
  }

  static MinibitException tooManySessions(String source, int limit) {
    return new MinibitException(ErrorCode.RESOURCE_EXHAUSTED, String.format(
        "address %s holds %d peer sessions already, the most this tracker opens for one"
            + " address (--max-sessions-per-address)", source, limit));
  }
}
