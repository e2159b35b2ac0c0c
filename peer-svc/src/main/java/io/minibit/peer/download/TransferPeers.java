package io.minibit.peer.download;

import io.minibit.api.v2.TransferPeer;

/**
 * Maps a download's {@link PeerStats} to the control API's {@link TransferPeer}: the proto edge of
 * the download's read model. Stateless.
 */
public final class TransferPeers {
  private TransferPeers() {}

  /** The source's figures as the control API gives them; what we sent it is left unset. */
  public static TransferPeer toProto(PeerStats peer) {
    return TransferPeer.newBuilder()
        .setPeerId(peer.peerId())
        .setAddress(peer.address())
        .setBlocksReceived(peer.blocksReceived())
        .setBytesReceived(peer.bytesReceived())
        .setBlocksAvailable(peer.blocksAvailable())
        .setConnected(peer.connected())
        .setHashFailures(peer.hashFailures())
        .setStatus(peer.status())
        .setRttMs(peer.rttMs())
        .setDownloadRate(peer.downloadRate())
        .setShare(peer.share())
        .setInFlight(peer.inFlight())
        .setChokedByPeer(peer.chokedByPeer())
        .build();
  }
}
