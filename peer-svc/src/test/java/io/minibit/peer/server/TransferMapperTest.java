package io.minibit.peer.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.minibit.api.v2.Transfer;
import io.minibit.api.v2.TransferPeer;
import io.minibit.api.v2.TransferState;
import io.minibit.core.InfoHash;
import io.minibit.peer.session.PeerSnapshot;
import io.minibit.peer.session.SessionState;
import io.minibit.peer.session.TransferSnapshot;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class TransferMapperTest {
  private static final PeerSnapshot PEER = new PeerSnapshot("p1", "10.0.0.1:7000", 3, 49152, 8,
      true, 1, "active", 2.5, 1000.0, 0.75, 2, true, false, 4096);

  @Test
  void everyStateHasItsProtoState() {
    assertEquals(TransferState.TRANSFER_STATE_CHECKING,
        TransferMapper.toProto(SessionState.CHECKING));
    assertEquals(TransferState.TRANSFER_STATE_DOWNLOADING,
        TransferMapper.toProto(SessionState.DOWNLOADING));
    assertEquals(TransferState.TRANSFER_STATE_SEEDING,
        TransferMapper.toProto(SessionState.SEEDING));
    assertEquals(TransferState.TRANSFER_STATE_FAILED,
        TransferMapper.toProto(SessionState.FAILED));
  }

  @Test
  void everyFieldOfAPeerIsMapped() {
    TransferPeer p = TransferMapper.toProto(PEER);

    assertEquals(PEER, new PeerSnapshot(p.getPeerId(), p.getAddress(), p.getBlocksReceived(),
        p.getBytesReceived(), p.getBlocksAvailable(), p.getConnected(), p.getHashFailures(),
        p.getStatus(), p.getRttMs(), p.getDownloadRate(), p.getShare(), p.getInFlight(),
        p.getChokedByPeer(), p.getChokedByUs(), p.getBytesSent()));
  }

  @Test
  void everyFieldOfASnapshotIsMapped() {
    InfoHash hash = InfoHash.parse("ab".repeat(32));
    Transfer t = TransferMapper.toProto(new TransferSnapshot(hash, "f.bin", Path.of("/d/f.bin"),
        100_000, 7, 5, 2, SessionState.DOWNLOADING, "slow", 80_000, 1_000, 512.0, 1234, 5678,
        List.of(PEER)));

    assertEquals(hash.hex(), t.getInfohash());
    assertEquals("f.bin", t.getName());
    assertEquals("/d/f.bin", t.getPath());
    assertEquals(100_000, t.getSize());
    assertEquals(7, t.getBlockCount());
    assertEquals(5, t.getBlocksHave());
    assertEquals(2, t.getBlocksResumed());
    assertEquals(TransferState.TRANSFER_STATE_DOWNLOADING, t.getState());
    assertEquals("slow", t.getError());
    assertEquals(80_000, t.getDownloadedBytes());
    assertEquals(1_000, t.getUploadedBytes());
    assertEquals(512.0, t.getDownloadRate());
    assertEquals(1234, t.getElapsedMs());
    assertEquals(5678, t.getEtaMs());
    assertEquals(List.of(TransferMapper.toProto(PEER)), t.getPeersList());
  }
}
