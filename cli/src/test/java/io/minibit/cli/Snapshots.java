package io.minibit.cli;

import io.minibit.api.v2.Transfer;
import io.minibit.api.v2.TransferPeer;
import io.minibit.api.v2.TransferState;

/**
 * Transfer snapshots of one download the tests share: "big.iso", 640 blocks of 256 KiB
 * (160 MiB), fetched from two peers that send 412 and 228 blocks.
 */
final class Snapshots {
  static final String INFOHASH =
      "3f2a9c0d5be14f7e8a6b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f";
  static final String PATH = "/srv/minibit/data/big.iso";
  static final int BLOCKS = 640;
  static final long BLOCK_SIZE = 256 * 1024;
  static final long SIZE = BLOCKS * BLOCK_SIZE;

  private Snapshots() {}

  static TransferPeer peer(String address, int received, boolean connected) {
    return TransferPeer.newBuilder()
        .setPeerId("peer-" + address.substring(address.lastIndexOf(':') + 1))
        .setAddress(address)
        .setBlocksReceived(received)
        .setBytesReceived(received * BLOCK_SIZE)
        .setBlocksAvailable(BLOCKS)
        .setConnected(connected)
        .build();
  }

  /** The download with {@code have} blocks, split between the peers as they would be. */
  static Transfer downloading(int have) {
    int first = have * 412 / BLOCKS;
    return base()
        .setState(TransferState.TRANSFER_STATE_DOWNLOADING)
        .setBlocksHave(have)
        .setDownloadedBytes(have * BLOCK_SIZE)
        .setDownloadRate(12_300_000)
        .setElapsedMs(1_000)
        .addPeers(peer("127.0.0.1:6882", first, true))
        .addPeers(peer("127.0.0.1:6883", have - first, true))
        .build();
  }

  /** The finished download: every block verified, 412 + 228 from the two peers. */
  static Transfer seeding() {
    return base()
        .setState(TransferState.TRANSFER_STATE_SEEDING)
        .setBlocksHave(BLOCKS)
        .setDownloadedBytes(SIZE)
        .setElapsedMs(5_200)
        .addPeers(peer("127.0.0.1:6882", 412, true))
        .addPeers(peer("127.0.0.1:6883", 228, true))
        .build();
  }

  private static Transfer.Builder base() {
    return Transfer.newBuilder()
        .setInfohash(INFOHASH)
        .setName("big.iso")
        .setPath(PATH)
        .setSize(SIZE)
        .setBlockCount(BLOCKS);
  }
}
