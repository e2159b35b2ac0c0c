package io.minibit.peer.server;

import io.minibit.api.v2.Transfer;
import io.minibit.api.v2.TransferPeer;
import io.minibit.api.v2.TransferState;
import io.minibit.peer.session.PeerSnapshot;
import io.minibit.peer.session.SessionState;
import io.minibit.peer.session.TransferSnapshot;

/**
 * Maps a session's snapshot to the {@code Transfer} the control API, the progress stream and
 * the metrics report. Stateless.
 */
public final class TransferMapper {
  private TransferMapper() {}

  public static Transfer toProto(TransferSnapshot t) {
    Transfer.Builder transfer = Transfer.newBuilder()
        .setInfohash(t.infoHash().hex())
        .setName(t.name())
        .setPath(t.path().toString())
        .setSize(t.size())
        .setBlockCount(t.blockCount())
        .setBlocksHave(t.blocksHave())
        .setBlocksResumed(t.blocksResumed())
        .setState(toProto(t.state()))
        .setError(t.error())
        .setDownloadedBytes(t.downloadedBytes())
        .setUploadedBytes(t.uploadedBytes())
        .setDownloadRate(t.downloadRate())
        .setElapsedMs(t.elapsedMs())
        .setEtaMs(t.etaMs());
    t.peers().forEach(peer -> transfer.addPeers(toProto(peer)));
    return transfer.build();
  }

  public static TransferState toProto(SessionState state) {
    return switch (state) {
      case CHECKING -> TransferState.TRANSFER_STATE_CHECKING;
      case DOWNLOADING -> TransferState.TRANSFER_STATE_DOWNLOADING;
      case SEEDING -> TransferState.TRANSFER_STATE_SEEDING;
      case FAILED -> TransferState.TRANSFER_STATE_FAILED;
    };
  }

  public static TransferPeer toProto(PeerSnapshot p) {
    return TransferPeer.newBuilder()
        .setPeerId(p.peerId())
        .setAddress(p.address())
        .setBlocksReceived(p.blocksReceived())
        .setBytesReceived(p.bytesReceived())
        .setBlocksAvailable(p.blocksAvailable())
        .setConnected(p.connected())
        .setHashFailures(p.hashFailures())
        .setStatus(p.status())
        .setRttMs(p.rttMs())
        .setDownloadRate(p.downloadRate())
        .setShare(p.share())
        .setInFlight(p.inFlight())
        .setChokedByPeer(p.chokedByPeer())
        .setChokedByUs(p.chokedByUs())
        .setBytesSent(p.bytesSent())
        .build();
  }
}
