package io.minibit.core;

import io.grpc.Status;

/** The kinds of failure MiniBit reports, each tied to the gRPC status code it travels as. */
public enum ErrorCode {
  INVALID_ARGUMENT(Status.Code.INVALID_ARGUMENT),
  NOT_FOUND(Status.Code.NOT_FOUND),
  ALREADY_EXISTS(Status.Code.ALREADY_EXISTS),
  OUT_OF_RANGE(Status.Code.OUT_OF_RANGE),
  FAILED_PRECONDITION(Status.Code.FAILED_PRECONDITION),
  PERMISSION_DENIED(Status.Code.PERMISSION_DENIED),
  UNAUTHENTICATED(Status.Code.UNAUTHENTICATED),
  RESOURCE_EXHAUSTED(Status.Code.RESOURCE_EXHAUSTED),
  UNAVAILABLE(Status.Code.UNAVAILABLE),
  DATA_LOSS(Status.Code.DATA_LOSS),
  INTERNAL(Status.Code.INTERNAL);

  private final Status.Code statusCode;

  ErrorCode(Status.Code statusCode) {
    this.statusCode = statusCode;
  }

  public Status.Code statusCode() {
    return statusCode;
  }
}
