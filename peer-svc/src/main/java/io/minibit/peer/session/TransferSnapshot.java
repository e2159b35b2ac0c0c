package io.minibit.peer.session;

import io.minibit.core.InfoHash;
import java.nio.file.Path;
import java.util.List;

/**
 * A torrent session's figures at one moment, for the status, the swarm page and the metrics.
 * Immutable.
 *
 * @param path where the file is, or will be once complete
 * @param blocksHave verified blocks held
 * @param blocksResumed blocks already verified on disk when the transfer (re)started
 * @param error why the transfer failed or is stalled; empty when all is well
 * @param downloadedBytes payload bytes received (verified or not) since the daemon started
 * @param uploadedBytes payload bytes sent since the daemon started
 * @param downloadRate bytes per second received lately; 0 once seeding
 * @param elapsedMs from the start of the download to its completion, or to now
 * @param etaMs until the download is complete at {@code downloadRate}: 0 once complete, -1
 *     while the rate is 0
 * @param peers the sources first, then the peers that only download from us
 */
public record TransferSnapshot(InfoHash infoHash, String name, Path path, long size,
    int blockCount, int blocksHave, int blocksResumed, SessionState state, String error,
    long downloadedBytes, long uploadedBytes, double downloadRate, long elapsedMs, long etaMs,
    List<PeerSnapshot> peers) {

  public TransferSnapshot {
    peers = List.copyOf(peers);
  }
}
