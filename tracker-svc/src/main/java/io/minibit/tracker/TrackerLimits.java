package io.minibit.tracker;

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
 */
public record TrackerLimits(int maxSwarmMembers, int maxSessionsPerAddress,
    int maxHealthMembers, long maxCatalogBytes) {
  public static final int DEFAULT_MAX_SWARM_MEMBERS = 50_000;
  public static final int DEFAULT_MAX_SESSIONS_PER_ADDRESS = 1_000;
  public static final int DEFAULT_MAX_HEALTH_MEMBERS = 10_000;
  public static final long DEFAULT_MAX_CATALOG_BYTES = 256L * 1024 * 1024;
  public static final TrackerLimits DEFAULTS = new TrackerLimits(DEFAULT_MAX_SWARM_MEMBERS,
      DEFAULT_MAX_SESSIONS_PER_ADDRESS, DEFAULT_MAX_HEALTH_MEMBERS, DEFAULT_MAX_CATALOG_BYTES);

  public TrackerLimits {
    requirePositive("--max-swarm-members", maxSwarmMembers);
    requirePositive("--max-sessions-per-address", maxSessionsPerAddress);
    requirePositive("--max-health-members", maxHealthMembers);
    requirePositive("--max-catalog-bytes", maxCatalogBytes);
  }

  private static void requirePositive(String flag, long value) {
    if (value < 1) {
      throw new IllegalArgumentException(flag + " " + value + " is not a positive number");
    }
  }
}
