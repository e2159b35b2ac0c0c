package io.minibit.cli;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v2.DownloadRequest;
import io.minibit.api.v2.DownloadResponse;
import io.minibit.api.v2.ListTransfersRequest;
import io.minibit.api.v2.ListTransfersResponse;
import io.minibit.api.v2.PeerControlServiceGrpc;
import io.minibit.api.v2.RemoveRequest;
import io.minibit.api.v2.RemoveResponse;
import io.minibit.api.v2.ShareRequest;
import io.minibit.api.v2.ShareResponse;
import io.minibit.api.v2.ShareWithProgressRequest;
import io.minibit.api.v2.ShareWithProgressResponse;
import io.minibit.api.v2.Transfer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A scripted PeerControl: answers with what a test put in its fields and records every request.
 * A test sets the fields before running a command; the server thread only reads them.
 */
final class FakePeerControl extends PeerControlServiceGrpc.PeerControlServiceImplBase {
  final List<Object> requests = new CopyOnWriteArrayList<>();

  volatile ShareResponse shareResponse = ShareResponse.getDefaultInstance();
  /** Sent in order on ShareWithProgress, before the message that carries {@link #shareResponse}. */
  volatile List<ShareWithProgressResponse> hashing = List.of();
  /** The deadline the last call came with, if any. */
  volatile Optional<Deadline> lastDeadline = Optional.empty();
  /** Sent in order on Download, before the stream completes or fails with {@link #failure}. */
  volatile List<Transfer> snapshots = List.of();
  volatile ListTransfersResponse transfers = ListTransfersResponse.getDefaultInstance();
  /** When set, every call fails with it (a Download after sending its snapshots). */
  volatile Status failure;
  /** Runs on Download after the snapshots are sent, e.g. to take the server away. */
  volatile Runnable afterSnapshots = () -> { };

  @Override
  public void share(ShareRequest request, StreamObserver<ShareResponse> response) {
    requests.add(request);
    unary(response, shareResponse);
  }

  @Override
  public void shareWithProgress(ShareWithProgressRequest request,
      StreamObserver<ShareWithProgressResponse> response) {
    requests.add(request);
    lastDeadline = Optional.ofNullable(Context.current().getDeadline());
    hashing.forEach(response::onNext);
    if (failure == null) {
      ShareResponse shared = shareResponse;
      response.onNext(ShareWithProgressResponse.newBuilder().setBytesHashed(shared.getSize())
          .setSize(shared.getSize()).setShared(shared).build());
    }
    finish(response);
  }

  @Override
  public void download(DownloadRequest request, StreamObserver<DownloadResponse> response) {
    requests.add(request);
    snapshots.forEach(
        snapshot -> response.onNext(DownloadResponse.newBuilder().setTransfer(snapshot).build()));
    afterSnapshots.run();
    finish(response);
  }

  @Override
  public void listTransfers(ListTransfersRequest request,
      StreamObserver<ListTransfersResponse> response) {
    requests.add(request);
    unary(response, transfers);
  }

  @Override
  public void remove(RemoveRequest request, StreamObserver<RemoveResponse> response) {
    requests.add(request);
    unary(response, RemoveResponse.getDefaultInstance());
  }

  /** The one request of type {@code type} this fake received; fails if there were others. */
  <T> T only(Class<T> type) {
    List<T> matching = requests.stream().filter(type::isInstance).map(type::cast).toList();
    if (matching.size() != 1) {
      throw new AssertionError("expected one " + type.getSimpleName() + ", got " + matching);
    }
    return matching.get(0);
  }

  private <T> void unary(StreamObserver<T> response, T value) {
    if (failure == null) {
      response.onNext(value);
    }
    finish(response);
  }

  private void finish(StreamObserver<?> response) {
    Status status = failure;
    if (status == null) {
      response.onCompleted();
    } else {
      response.onError(status.asRuntimeException());
    }
  }
}
