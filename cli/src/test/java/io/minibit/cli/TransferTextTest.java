package io.minibit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.api.v2.Transfer;
import io.minibit.api.v2.TransferState;
import java.util.List;
import org.junit.jupiter.api.Test;

class TransferTextTest {
  @Test
  void progressLineShowsPercentBytesRateEtaAndConnectedPeers() {
    Transfer transfer = Snapshots.downloading(320).toBuilder()
        .setPeers(1, Snapshots.peer("127.0.0.1:6883", 100, false))
        .build();

    assertEquals("big.iso  50.0%  80.0 MiB / 160.0 MiB  12.3 MB/s  ETA 7s  1 peer",
        TransferText.progressLine(transfer));
  }

  @Test
  void progressLineSaysWhenCheckingAndWhyItIsStalled() {
    Transfer transfer = Snapshots.downloading(0).toBuilder()
        .setState(TransferState.TRANSFER_STATE_CHECKING)
        .setDownloadRate(0)
        .setError("no peer reachable\nfor 12 s")
        .build();

    assertEquals("checking big.iso  0.0%  0 B / 160.0 MiB  0 B/s  ETA --  2 peers"
        + "  (no peer reachable for 12 s)", TransferText.progressLine(transfer));
  }

  @Test
  void aDownloadWhoseSizeIsNotKnownYetIsNotShownAsDone() {
    Transfer starting = Transfer.newBuilder().setName("big.iso")
        .setState(TransferState.TRANSFER_STATE_DOWNLOADING).build();

    assertEquals("--", TransferText.done(starting));
    assertTrue(TransferText.progressLine(starting).startsWith("big.iso  --  0 B / 0 B"),
        TransferText.progressLine(starting));
    assertEquals("100.0%", TransferText.done(
        starting.toBuilder().setState(TransferState.TRANSFER_STATE_SEEDING).build()));
  }

  @Test
  void bytesHaveIsExactWhenCompleteAndProportionalBefore() {
    Transfer odd = Transfer.newBuilder().setSize(1000).setBlockCount(3).setBlocksHave(1).build();

    assertEquals(333, TransferText.bytesHave(odd));
    assertEquals(1000, TransferText.bytesHave(odd.toBuilder().setBlocksHave(3).build()));
    assertEquals(0, TransferText.bytesHave(Transfer.getDefaultInstance()));
  }

  @Test
  void summaryNamesSizeTimeRateAndBlocksPerPeerMostFirst() {
    Transfer done = Snapshots.seeding().toBuilder()
        .addPeers(Snapshots.peer("10.0.0.7:6881", 0, false))
        .build();

    assertEquals(List.of(
        "got big.iso: 160.0 MiB in 5.2 s (32.3 MB/s average)",
        "  from 127.0.0.1:6882  412 blocks (64.4%)",
        "  from 127.0.0.1:6883  228 blocks (35.6%)"), TransferText.summary(done));
  }

  @Test
  void summaryAlignsPeersOfDifferentWidths() {
    Transfer done = Snapshots.seeding().toBuilder()
        .setPeers(0, Snapshots.peer("peer-a.example:6881", 632, true))
        .setPeers(1, Snapshots.peer("10.0.0.2:6881", 8, true))
        .build();

    assertEquals(List.of(
        "  from peer-a.example:6881  632 blocks (98.8%)",
        "  from 10.0.0.2:6881          8 blocks (1.3%)"),
        TransferText.summary(done).subList(1, 3));
  }

  @Test
  void summaryMentionsBlocksResumedFromDisk() {
    Transfer done = Snapshots.seeding().toBuilder().setBlocksResumed(12).build();

    assertTrue(TransferText.summary(done).contains("  resumed 12 of 640 blocks already on disk"),
        TransferText.summary(done).toString());
  }

  @Test
  void statesReadAsWords() {
    assertEquals("downloading", TransferText.state(TransferState.TRANSFER_STATE_DOWNLOADING));
    assertEquals("seeding", TransferText.state(TransferState.TRANSFER_STATE_SEEDING));
    assertEquals("unknown", TransferText.state(TransferState.TRANSFER_STATE_UNSPECIFIED));
  }
}
