package io.minibit.peer.swarm;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.minibit.api.v2.AnnounceRequest;
import io.minibit.api.v2.AnnounceResponse;
import io.minibit.api.v2.HeartbeatRequest;
import io.minibit.api.v2.HeartbeatResponse;
import io.minibit.api.v2.TrackerServiceGrpc.TrackerServiceBlockingStub;
import io.minibit.core.identity.PeerKey;
import java.time.Clock;
import java.util.Arrays;

/**
 * This peer's session on each tracker: the last token each tracker gave, sent to that tracker
 * alone, and the proof of the peer id that an announce opening a session carries (no token yet
 * for that tracker, or one it no longer holds). A tracker that says it holds no session of ours
 * has its token forgotten.
 *
 * <p>Thread-safe: the tokens are guarded by this object's lock; no call is made under it.
 */
final class SessionTokens {
  private final String[] tokens; // each tracker's token for this peer, "" for none
  private final PeerKey key;
  private final Clock clock;

  /**
   * @param key proves the peer id
   * @param clock dates the proofs
   */
  SessionTokens(int trackers, PeerKey key, Clock clock) {
    this.tokens = new String[trackers];
    Arrays.fill(tokens, "");
    this.key = key;
    this.clock = clock;
  }

  /**
   * Announces {@code request} to tracker {@code index} through {@code stub} with that tracker's
   * token, and keeps the token it answers with. Without a token the announce carries a proof;
   * with one the tracker no longer holds (UNAUTHENTICATED) it is sent once more with a proof.
   */
  AnnounceResponse announce(int index, TrackerServiceBlockingStub stub, AnnounceRequest request) {
    String token = token(index);
    AnnounceRequest withToken = request.toBuilder().setSessionToken(token).build();
    try {
      AnnounceResponse response;
      try {
        response = stub.announce(token.isEmpty() ? proven(withToken) : withToken);
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAUTHENTICATED || token.isEmpty()) {
          throw e;
        }
        response = stub.announce(proven(withToken));
      }
      setToken(index, response.getSessionToken());
      return response;
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.PERMISSION_DENIED) {
        setToken(index, "");
      }
      throw e;
    }
  }

  private AnnounceRequest proven(AnnounceRequest request) {
    return request.toBuilder().setProof(key.sessionProof(clock.instant())).build();
  }

  /**
   * Refreshes the session of {@code peerId} on tracker {@code index} with its token; NOT_FOUND
   * or PERMISSION_DENIED forget the token (that tracker has no session of ours).
   */
  HeartbeatResponse heartbeat(int index, TrackerServiceBlockingStub stub, String peerId) {
    try {
      return stub.heartbeat(HeartbeatRequest.newBuilder().setPeerId(peerId)
          .setSessionToken(token(index)).build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND
          || e.getStatus().getCode() == Status.Code.PERMISSION_DENIED) {
        setToken(index, "");
      }
      throw e;
    }
  }

  private synchronized String token(int index) {
    return tokens[index];
  }

  private synchronized void setToken(int index, String token) {
    tokens[index] = token;
  }
}
