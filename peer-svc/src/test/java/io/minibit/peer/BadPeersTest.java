package io.minibit.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.api.v2.ShareRequest;
import io.minibit.api.v2.Transfer;
import io.minibit.api.v2.TransferPeer;
import io.minibit.api.v2.TransferState;
import io.minibit.core.Bitfield;
import io.minibit.core.testing.TestFiles;
import io.minibit.peer.testing.LocalSwarm;
import io.minibit.peer.testing.LocalSwarm.Peer;
import io.minibit.peer.testing.ScriptedPeer;
import java.nio.file.Files;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Peers that send bad data are caught, struck and banned; the download still completes. */
class BadPeersTest {
  private static final int BLOCK = 64 * 1024;

  @RegisterExtension
  final LocalSwarm swarm = LocalSwarm.builder().build();

  @ParameterizedTest
  @EnumSource(value = ScriptedPeer.Behaviour.class, names = {"CORRUPT", "WRONG_INDEX"})
  void aMisbehavingPeerIsBannedAndTheDownloadCompletesFromHonestOnes(ScriptedPeer.Behaviour mode)
      throws Exception {
    // The honest seeder is slow, so the rogue one is offered plenty of blocks.
    Peer seeder = swarm.peer("seeder", c -> c.withUploadLimit(2 * 1024 * 1024));
    Peer leecher = swarm.peer("leecher");
    TestFiles.SharedFile file = TestFiles.share(seeder.dataDir(), "file.bin", 2 * 1024 * 1024,
        BLOCK, 5);
    String infohash = seeder.control().share(
        ShareRequest.newBuilder().setPath("file.bin").setBlockSize(BLOCK).build()).getInfohash();
    try (ScriptedPeer rogue = ScriptedPeer.join(swarm, "rogue", file,
        Bitfield.full(file.torrent().blockCount()), mode, false)) {
      Transfer done = leecher.download(infohash);

      assertEquals(TransferState.TRANSFER_STATE_SEEDING, done.getState());
      assertArrayEquals(file.content(), Files.readAllBytes(leecher.dataDir().resolve("file.bin")));
      TransferPeer fromRogue = done.getPeersList().stream()
          .filter(p -> p.getAddress().equals(swarm.address("rogue"))).findFirst().orElseThrow();
      assertTrue(rogue.blocksSent() > 0, "the rogue peer was asked for blocks");
      assertEquals(0, fromRogue.getBlocksReceived());
      assertFalse(fromRogue.getConnected(), fromRogue.toString());
      assertTrue(fromRogue.getStatus().startsWith("banned: "), fromRogue.toString());
      if (mode == ScriptedPeer.Behaviour.CORRUPT) {
        assertTrue(fromRogue.getHashFailures() >= 3, fromRogue.toString());
      }
    }
  }
}
