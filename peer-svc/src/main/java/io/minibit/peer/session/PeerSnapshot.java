package io.minibit.peer.session;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One peer of a transfer as the status shows it: what the download got from it (for a source)
 * and what we sent it (for a subscriber). Immutable.
 *
 * @param address host:port of a source, the host of a peer that only downloads from us
 * @param blocksReceived verified blocks received from it, {@code bytesReceived} their bytes
 * @param blocksAvailable blocks it is known to hold
 * @param connected connected and serving, rather than backing off after a fault
 * @param hashFailures blocks from it that failed verification
 * @param status what the download is doing with it, for people
 * @param rttMs median round-trip time of its pings (0 until measured)
 * @param downloadRate bytes per second received from it lately
 * @param share its share of the blocks the download received so far, 0..1
 * @param inFlight blocks asked of it and not delivered yet
 * @param chokedByPeer it chokes us
 * @param chokedByUs it subscribed to us and our upload slots went to others
 * @param bytesSent bytes we sent it since the daemon started
 */
public record PeerSnapshot(String peerId, String address, int blocksReceived,
    long bytesReceived, int blocksAvailable, boolean connected, int hashFailures, String status,
    double rttMs, double downloadRate, double share, int inFlight, boolean chokedByPeer,
    boolean chokedByUs, long bytesSent) {

  /**
   * The peers we download from ({@code sources}), with what we sent each, then the peers that
   * only download from us, by peer id.
   */
  static List<PeerSnapshot> merge(List<PeerSnapshot> sources, List<UploadSlots.Sent> sent) {
    Map<String, UploadSlots.Sent> unmatched = new HashMap<>();
    sent.forEach(s -> unmatched.put(s.peerId(), s));
    List<PeerSnapshot> peers = new ArrayList<>();
    for (PeerSnapshot peer : sources) {
      UploadSlots.Sent to = unmatched.remove(peer.peerId());
      peers.add(to == null ? peer : peer.withSent(to.bytes(), to.choked()));
    }
    unmatched.values().stream().sorted(Comparator.comparing(UploadSlots.Sent::peerId))
        .forEach(to -> peers.add(downloader(to.peerId(), to.host(), to.bytes(), to.choked())));
    return peers;
  }

  /** A peer that only downloads from us: we sent it {@code bytesSent}. */
  public static PeerSnapshot downloader(String peerId, String host, long bytesSent,
      boolean chokedByUs) {
    return new PeerSnapshot(peerId, host, 0, 0, 0, false, 0,
        chokedByUs ? "downloading from us; choked" : "downloading from us", 0, 0, 0, 0, false,
        chokedByUs, bytesSent);
  }

  /** This source, with what we sent it too. */
  public PeerSnapshot withSent(long bytes, boolean choked) {
    return new PeerSnapshot(peerId, address, blocksReceived, bytesReceived, blocksAvailable,
        connected, hashFailures, status, rttMs, downloadRate, share, inFlight, chokedByPeer,
        choked, bytes);
  }
}
