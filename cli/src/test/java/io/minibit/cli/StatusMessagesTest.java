package io.minibit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Status;
import io.minibit.cli.ServerContact.Reach;
import org.junit.jupiter.api.Test;

class StatusMessagesTest {
  private static final Endpoint DAEMON = Endpoint.peerDaemon("127.0.0.1:6880");
  private static final Endpoint TRACKER = Endpoint.tracker("tracker.lan:6969");

  private static void assertFailure(int code, String message, CliFailure failure) {
    assertEquals(message, failure.getMessage());
    assertEquals(code, failure.exitCode(), failure.getMessage());
  }

  @Test
  void unavailableWithoutContactMeansTheServiceIsNotThere() {
    assertFailure(ExitCodes.UNAVAILABLE,
        "cannot reach the peer daemon at 127.0.0.1:6880 (is minibit-peer running?)",
        StatusMessages.failure(Status.UNAVAILABLE.withDescription("io exception"), DAEMON,
            Reach.NONE));
    assertFailure(ExitCodes.UNAVAILABLE,
        "cannot reach the tracker at tracker.lan:6969 (is minibit-tracker running?)",
        StatusMessages.failure(Status.UNAVAILABLE, TRACKER, Reach.NONE));
  }

  @Test
  void unavailableFromTheServerShowsItsReason() {
    assertFailure(ExitCodes.UNAVAILABLE, "no peer has been reachable for 30 s",
        StatusMessages.failure(
            Status.UNAVAILABLE.withDescription("no peer has been reachable for 30 s"), DAEMON,
            Reach.ANSWERED));
  }

  @Test
  void unavailableAfterContactMeansTheConnectionWasLost() {
    assertFailure(ExitCodes.UNAVAILABLE,
        "lost the connection to the peer daemon at 127.0.0.1:6880: Network closed",
        StatusMessages.failure(Status.UNAVAILABLE.withDescription("Network closed"), DAEMON,
            Reach.CONNECTED));
  }

  @Test
  void aCallTheServerCancelledIsADaemonGoingAway() {
    assertFailure(ExitCodes.UNAVAILABLE,
        "the peer daemon at 127.0.0.1:6880 stopped the call (is it shutting down?)",
        StatusMessages.failure(Status.CANCELLED.withDescription(
            "RST_STREAM closed stream. HTTP/2 error code: CANCEL"), DAEMON, Reach.CONNECTED));
  }

  @Test
  void aConnectionClosedAfterAGracefulGoawayIsADaemonGoingAwayToo() {
    assertFailure(ExitCodes.UNAVAILABLE,
        "the peer daemon at 127.0.0.1:6880 stopped the call (is it shutting down?)",
        StatusMessages.failure(Status.UNAVAILABLE.withDescription("Connection closed after "
            + "GOAWAY. HTTP/2 error code: NO_ERROR, debug data: app_requested"), DAEMON,
            Reach.CONNECTED));
    assertFailure(ExitCodes.UNAVAILABLE, "lost the connection to the peer daemon at "
        + "127.0.0.1:6880: Connection closed after GOAWAY. HTTP/2 error code: PROTOCOL_ERROR",
        StatusMessages.failure(Status.UNAVAILABLE.withDescription("Connection closed after "
            + "GOAWAY. HTTP/2 error code: PROTOCOL_ERROR"), DAEMON, Reach.CONNECTED));
  }

  @Test
  void deadlineExceededIsUnavailable() {
    assertFailure(ExitCodes.UNAVAILABLE, "the peer daemon at 127.0.0.1:6880 did not answer in time",
        StatusMessages.failure(Status.DEADLINE_EXCEEDED, DAEMON, Reach.CONNECTED));
    assertFailure(ExitCodes.UNAVAILABLE,
        "cannot reach the peer daemon at 127.0.0.1:6880 (is minibit-peer running?)",
        StatusMessages.failure(Status.DEADLINE_EXCEEDED, DAEMON, Reach.NONE));
  }

  @Test
  void serverDescriptionsPassThroughWithTheirClassOfExitCode() {
    assertFailure(ExitCodes.NOT_FOUND, "no torrent named 'x'", StatusMessages.failure(
        Status.NOT_FOUND.withDescription("no torrent named 'x'"), DAEMON, Reach.ANSWERED));
    assertFailure(ExitCodes.INTEGRITY, "big.iso does not match its SHA-256",
        StatusMessages.failure(Status.DATA_LOSS.withDescription(
            "big.iso does not match its SHA-256"), DAEMON, Reach.ANSWERED));
    assertFailure(ExitCodes.USAGE, "path is outside the data directory",
        StatusMessages.failure(Status.INVALID_ARGUMENT.withDescription(
            "path is outside the data directory"), DAEMON, Reach.ANSWERED));
    assertFailure(ExitCodes.FAILURE, "big.iso already exists",
        StatusMessages.failure(Status.FAILED_PRECONDITION.withDescription(
            "big.iso already exists"), DAEMON, Reach.ANSWERED));
  }

  @Test
  void aMissingDescriptionStillGivesAReadableLine() {
    assertFailure(ExitCodes.NOT_FOUND, "not found",
        StatusMessages.failure(Status.NOT_FOUND, DAEMON, Reach.ANSWERED));
    assertFailure(ExitCodes.FAILURE, "failed precondition",
        StatusMessages.failure(Status.FAILED_PRECONDITION, DAEMON, Reach.ANSWERED));
    assertFailure(ExitCodes.FAILURE, "the peer daemon at 127.0.0.1:6880 failed (INTERNAL)",
        StatusMessages.failure(Status.INTERNAL, DAEMON, Reach.ANSWERED));
    assertFailure(ExitCodes.FAILURE,
        "the tracker at tracker.lan:6969 does not support this request"
            + " (a different MiniBit version?)",
        StatusMessages.failure(Status.UNIMPLEMENTED, TRACKER, Reach.ANSWERED));
  }

  @Test
  void multiLineDescriptionsBecomeOneLine() {
    assertFailure(ExitCodes.NOT_FOUND, "no such file:  big.iso",
        StatusMessages.failure(Status.NOT_FOUND.withDescription("no such file:\n big.iso\n"),
            DAEMON, Reach.ANSWERED));
  }
}
