package io.minibit.peer.download;

/**
 * One source of a download as status and metrics show it, at one moment. Immutable.
 *
 * @param peerId the id it answers pings with
 * @param address host:port
 * @param blocksReceived verified blocks received from it
 * @param bytesReceived the bytes those blocks make
 * @param blocksAvailable blocks it is known to hold
 * @param connected connected and serving (not backing off, banned or closed)
 * @param hashFailures blocks from it that failed verification
 * @param status what the download is doing with it, for people ("active", "choked",
 *     "backing off: reason", ...)
 * @param rttMs median round trip of its pings, in milliseconds; 0 until measured
 * @param downloadRate bytes per second received from it lately
 * @param share its part of the blocks this download received, 0..1
 * @param inFlight blocks asked of it and not delivered yet
 * @param chokedByPeer it chokes us
 */
public record PeerStats(String peerId, String address, int blocksReceived, long bytesReceived,
    int blocksAvailable, boolean connected, int hashFailures, String status, double rttMs,
    double downloadRate, double share, int inFlight, boolean chokedByPeer) {}
