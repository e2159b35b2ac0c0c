package io.minibit.peer.server;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v1.DownloadRequest;
import io.minibit.api.v1.ListTransfersRequest;
import io.minibit.api.v1.ListTransfersResponse;
import io.minibit.api.v1.PeerControlGrpc;
import io.minibit.api.v1.RemoveRequest;
import io.minibit.api.v1.RemoveResponse;
import io.minibit.api.v1.ShareRequest;
import io.minibit.api.v1.ShareResponse;
import io.minibit.api.v1.Transfer;
import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import io.minibit.peer.PeerDaemon;
import io.minibit.peer.session.TorrentSession;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The control API the CLI calls on the local daemon: share, download (with a progress stream),
 * list and remove transfers. Validates and delegates to the {@link PeerDaemon}.
 */
public final class PeerControlGrpcService extends PeerControlGrpc.PeerControlImplBase {
  private final PeerDaemon daemon;
  private final ScheduledExecutorService scheduler;

  public PeerControlGrpcService(PeerDaemon daemon, ScheduledExecutorService scheduler) {
    this.daemon = daemon;
    this.scheduler = scheduler;
  }

  @Override
  public void share(ShareRequest request, StreamObserver<ShareResponse> responseObserver) {
    if (request.getPath().isEmpty()) {
      throw MinibitException.invalid("path is empty: give the file to share");
    }
    int blockSize = request.getBlockSize();
    if (blockSize != 0 && (blockSize < Torrent.MIN_BLOCK_SIZE || blockSize > Torrent.MAX_BLOCK_SIZE)) {
      throw MinibitException.invalid("block_size %d is outside %d..%d",
          Integer.toUnsignedLong(blockSize), Torrent.MIN_BLOCK_SIZE, Torrent.MAX_BLOCK_SIZE);
    }
    TorrentSession session = io(() -> daemon.share(request.getPath(), blockSize));
    Torrent torrent = session.torrent();
    responseObserver.onNext(ShareResponse.newBuilder()
        .setInfohash(torrent.infoHash().hex())
        .setName(torrent.name())
        .setSize(torrent.size())
        .setBlockCount(torrent.blockCount())
        .build());
    responseObserver.onCompleted();
  }

  @Override
  public void download(DownloadRequest request, StreamObserver<Transfer> responseObserver) {
    Duration noPeersTimeout = request.getNoPeersTimeoutMs() == 0
        ? daemon.config().noPeersTimeout()
        : Duration.ofMillis(Integer.toUnsignedLong(request.getNoPeersTimeoutMs()));
    Duration every = request.getProgressIntervalMs() == 0 ? ProgressStream.DEFAULT_PERIOD
        : Duration.ofMillis(Math.max(ProgressStream.MIN_PERIOD.toMillis(),
            Integer.toUnsignedLong(request.getProgressIntervalMs())));
    TorrentSession session = io(() -> daemon.download(request));
    new ProgressStream(session, () -> daemon.stalledFor(session),
        () -> daemon.download(session).map(d -> d.stallReason()).orElse(""),
        noPeersTimeout, every, scheduler, (ServerCallStreamObserver<Transfer>) responseObserver)
        .start();
  }

  @Override
  public void listTransfers(ListTransfersRequest request,
      StreamObserver<ListTransfersResponse> responseObserver) {
    ListTransfersResponse.Builder response = ListTransfersResponse.newBuilder();
    for (TorrentSession session : daemon.sessions()) {
      response.addTransfers(session.snapshot());
    }
    responseObserver.onNext(response.build());
    responseObserver.onCompleted();
  }

  @Override
  public void remove(RemoveRequest request, StreamObserver<RemoveResponse> responseObserver) {
    InfoHash infoHash = InfoHash.parse(request.getInfohash());
    io(() -> {
      daemon.remove(infoHash, request.getDeleteData());
      return null;
    });
    responseObserver.onNext(RemoveResponse.getDefaultInstance());
    responseObserver.onCompleted();
  }

  private interface IoCall<T> {
    T call() throws IOException;
  }

  /** Runs a file-system operation, reporting an I/O failure as a readable status. */
  private static <T> T io(IoCall<T> call) {
    try {
      return call.call();
    } catch (IOException e) {
      throw new MinibitException(ErrorCode.FAILED_PRECONDITION,
          "file system error: " + e.getClass().getSimpleName() + ": " + e.getMessage(), e);
    }
  }
}
