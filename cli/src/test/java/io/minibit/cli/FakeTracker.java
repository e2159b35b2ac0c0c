package io.minibit.cli;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v2.ListTorrentsRequest;
import io.minibit.api.v2.ListTorrentsResponse;
import io.minibit.api.v2.TrackerServiceGrpc;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A Tracker that answers ListTorrents (the only call the CLI makes) with a scripted catalog, cut
 * into pages of {@link #pageSize} at most, whatever the request's page_size; its page token is
 * the index of the page's first torrent. Records every request.
 */
final class FakeTracker extends TrackerServiceGrpc.TrackerServiceImplBase {
  volatile ListTorrentsResponse torrents = ListTorrentsResponse.getDefaultInstance();
  volatile int pageSize = Integer.MAX_VALUE;
  /** When set, every page's next_page_token is this (a broken tracker). */
  volatile String stuckToken;
  volatile Status failure;
  final List<ListTorrentsRequest> requests = new CopyOnWriteArrayList<>();

  @Override
  public void listTorrents(ListTorrentsRequest request,
      StreamObserver<ListTorrentsResponse> response) {
    requests.add(request);
    Status status = failure;
    if (status != null) {
      response.onError(status.asRuntimeException());
      return;
    }
    ListTorrentsResponse all = torrents;
    int from = request.getPageToken().isEmpty() ? 0 : Integer.parseInt(request.getPageToken());
    int to = (int) Math.min(all.getTorrentsCount(), (long) from + Math.min(pageSize,
        request.getPageSize() == 0 ? Integer.MAX_VALUE : request.getPageSize()));
    ListTorrentsResponse.Builder page = ListTorrentsResponse.newBuilder()
        .addAllTorrents(all.getTorrentsList().subList(from, to));
    if (stuckToken != null) {
      page.setNextPageToken(stuckToken);
    } else if (to < all.getTorrentsCount()) {
      page.setNextPageToken(String.valueOf(to));
    }
    response.onNext(page.build());
    response.onCompleted();
  }
}
