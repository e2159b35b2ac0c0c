package io.minibit.peer.control;

import io.minibit.peer.PeerConfig;

/**
 * The daemon's limits and what its downloaded files take. Immutable.
 *
 * @param cacheBytes bytes the files this daemon downloaded take (or will, once complete)
 * @param evictions downloaded files removed by the cache's limits since the daemon started
 */
public record Usage(PeerConfig.Limits limits, long cacheBytes, long evictions) {}
