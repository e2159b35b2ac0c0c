package io.minibit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every unary call carries the 10 s deadline; the Download stream, which may run for hours, none. */
class DeadlineTest {
  @RegisterExtension
  final CliHarness cli = new CliHarness();

  @BeforeEach
  void setUp() {
    cli.peer.snapshots = List.of(Snapshots.seeding());
  }

  @Test
  void unaryCallsHaveTenSecondsAndTheProgressStreamsAreOpenEnded() {
    cli.run("share", "big.iso");
    cli.run("status");
    cli.run("remove", Snapshots.INFOHASH);
    cli.run("torrents");
    cli.run("get", "big.iso");

    assertEquals(Map.of(
        "minibit.v2.PeerControlService/ShareWithProgress", "none",
        "minibit.v2.PeerControlService/ListTransfers", "within 10 s",
        "minibit.v2.PeerControlService/Remove", "within 10 s",
        "minibit.v2.TrackerService/ListTorrents", "within 10 s",
        "minibit.v2.PeerControlService/Download", "none"), cli.deadlines);
  }
}
