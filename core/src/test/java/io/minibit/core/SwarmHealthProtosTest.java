package io.minibit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.minibit.api.v2.DownloadEta;
import io.minibit.api.v2.SwarmHealth;
import java.util.List;
import org.junit.jupiter.api.Test;

class SwarmHealthProtosTest {
  @Test
  void everyFieldGoesToItsProtoField() {
    InfoHash infoHash = InfoHash.parse("ab".repeat(32));
    SwarmHealth proto = SwarmHealthProtos.toProto(new SwarmHealthCalculator.Health(infoHash, 3,
        1, 2, List.of(3, 2, 1), 1.5, List.of(
            new SwarmHealthCalculator.Eta("a", 2, 1024, 16_000),
            new SwarmHealthCalculator.Eta("b", 0, 0, -1))));

    assertEquals(SwarmHealth.newBuilder()
        .setInfohash(infoHash.hex())
        .setBlockCount(3)
        .setSeeders(1)
        .setLeechers(2)
        .addAllAvailability(List.of(3, 2, 1))
        .setDistributedCopies(1.5)
        .addDownloads(DownloadEta.newBuilder().setPeerId("a").setBlocksHave(2)
            .setDownloadRate(1024).setEtaMs(16_000))
        .addDownloads(DownloadEta.newBuilder().setPeerId("b").setEtaMs(-1))
        .build(), proto);
  }
}
