package io.minibit.cli;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v2.ListTorrentsRequest;
import io.minibit.api.v2.ListTorrentsResponse;
import io.minibit.api.v2.TrackerServiceGrpc;

/** A Tracker that answers ListTorrents with a scripted catalog (the only call the CLI makes). */
final class FakeTracker extends TrackerServiceGrpc.TrackerServiceImplBase {
  volatile ListTorrentsResponse torrents = ListTorrentsResponse.getDefaultInstance();
  volatile Status failure;

  @Override
  public void listTorrents(ListTorrentsRequest request,
      StreamObserver<ListTorrentsResponse> response) {
    Status status = failure;
    if (status != null) {
      response.onError(status.asRuntimeException());
      return;
    }
    response.onNext(torrents);
    response.onCompleted();
  }
}
