package io.minibit.core;

import com.google.protobuf.Any;
import io.grpc.protobuf.StatusProto;
import java.util.Optional;

/**
 * Why a call failed, where the status code alone leaves a client guessing what to do (a
 * RESOURCE_EXHAUSTED may mean "choked", "over a limit" or "disk full"). Travels as the {@code
 * reason} of a {@code google.rpc.ErrorInfo} in the status details, in domain {@value #DOMAIN},
 * beside the usual code and message. The names are part of the API: reasons may be added, none
 * renamed. docs/how-it-works.md lists them.
 */
public enum ErrorReason {
  /**
   * RESOURCE_EXHAUSTED: every upload slot of the peer is taken and the caller holds none; the
   * caller waits for UNCHOKE on its Subscribe stream, or asks other peers.
   */
  CHOKED(ErrorCode.RESOURCE_EXHAUSTED),
  /**
   * RESOURCE_EXHAUSTED: the call goes past one of the server's limits; metadata {@code limit}
   * names it and {@code max} gives its value. The caller is not choked: it asks for less, or
   * again once one of its own calls or streams has ended.
   */
  OVER_LIMIT(ErrorCode.RESOURCE_EXHAUSTED),
  /**
   * RESOURCE_EXHAUSTED: the download's disk is full. Verified blocks stay; once space is freed,
   * downloading again resumes.
   */
  DISK_FULL(ErrorCode.RESOURCE_EXHAUSTED),
  /**
   * FAILED_PRECONDITION: GetBlocks from a peer with no Subscribe stream on the same connection;
   * it subscribes first.
   */
  NOT_SUBSCRIBED(ErrorCode.FAILED_PRECONDITION),
  /**
   * FAILED_PRECONDITION: a block the peer does not hold yet; the caller asks another peer, or
   * waits for this one's HAVE.
   */
  BLOCK_NOT_HELD(ErrorCode.FAILED_PRECONDITION);

  /** The ErrorInfo domain of every MiniBit reason. */
  public static final String DOMAIN = "minibit.io";

  private final ErrorCode code;

  ErrorReason(ErrorCode code) {
    this.code = code;
  }

  /** The code a failure for this reason travels as. */
  public ErrorCode code() {
    return code;
  }

  /**
   * The MiniBit reason a failed call carries, read from its status details; empty when it has
   * none (a failure that the status code says all about, or one from gRPC itself).
   */
  public static Optional<ErrorReason> of(Throwable failure) {
    com.google.rpc.Status status = StatusProto.fromThrowable(failure);
    if (status == null) {
      return Optional.empty();
    }
    for (Any detail : status.getDetailsList()) {
      // Another type, or a garbled ErrorInfo, is no reason.
      Optional<ErrorInfoWire.Info> info = ErrorInfoWire.unpack(detail);
      if (info.isPresent() && DOMAIN.equals(info.get().domain())) {
        for (ErrorReason reason : values()) {
          if (reason.name().equals(info.get().reason())) {
            return Optional.of(reason);
          }
        }
      }
    }
    return Optional.empty();
  }
}
