package io.minibit.peer.server;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v2.DaemonUsage;
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
import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.ManifestBuilder;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import io.minibit.core.Validation;
import io.minibit.peer.control.DownloadOrder;
import io.minibit.peer.control.TransferControl;
import io.minibit.peer.control.Usage;
import io.minibit.peer.session.TorrentSession;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.logging.Logger;

/**
 * The control API the CLI calls on the local daemon: share, download (with a progress stream),
 * list and remove transfers. Validates, maps proto to domain and delegates to the
 * {@link TransferControl}. Thread-safe: it keeps no state of its own.
 */
public final class PeerControlGrpcService
    extends PeerControlServiceGrpc.PeerControlServiceImplBase {
  private static final Logger log = Logger.getLogger(PeerControlGrpcService.class.getName());
  private final TransferControl daemon;
  private final ScheduledExecutorService scheduler;

  /** @param scheduler runs the progress streams of downloads */
  public PeerControlGrpcService(TransferControl daemon, ScheduledExecutorService scheduler) {
    this.daemon = daemon;
    this.scheduler = scheduler;
  }

  @Override
  public void share(ShareRequest request, StreamObserver<ShareResponse> responseObserver) {
    int blockSize = checkShare(request.getPath(), request.getBlockSize());
    TorrentSession session = io(() -> daemon.share(request.getPath(), blockSize));
    responseObserver.onNext(shared(session.torrent()));
    responseObserver.onCompleted();
  }

  @Override
  public void shareWithProgress(ShareWithProgressRequest request,
      StreamObserver<ShareWithProgressResponse> responseObserver) {
    int blockSize = checkShare(request.getPath(), request.getBlockSize());
    Duration every = request.getProgressIntervalMs() == 0 ? ProgressStream.DEFAULT_PERIOD
        : Duration.ofMillis(Math.max(ProgressStream.MIN_PERIOD.toMillis(),
            Integer.toUnsignedLong(request.getProgressIntervalMs())));
    HashingProgress progress = new HashingProgress(responseObserver, every, Context.current());
    TorrentSession session;
    try {
      session = io(() -> daemon.share(request.getPath(), blockSize, progress));
    } catch (CancellationException e) {
      log.info(() -> "stopped hashing " + Validation.printable(request.getPath()) + ": "
          + e.getMessage());
      responseObserver.onError(Status.CANCELLED.withDescription(e.getMessage())
          .asRuntimeException());
      return;
    }
    Torrent torrent = session.torrent();
    responseObserver.onNext(ShareWithProgressResponse.newBuilder()
        .setBytesHashed(torrent.size())
        .setSize(torrent.size())
        .setShared(shared(torrent))
        .build());
    responseObserver.onCompleted();
  }

  /** The block size a share asks for; INVALID_ARGUMENT for a request that cannot be. */
  private static int checkShare(String path, int blockSize) {
    if (path.isEmpty()) {
      throw MinibitException.invalid("path is empty: give the file to share");
    }
    if (blockSize != 0
        && (blockSize < Torrent.MIN_BLOCK_SIZE || blockSize > Torrent.MAX_BLOCK_SIZE)) {
      throw MinibitException.invalid("block size %d is outside %d..%d bytes",
          Integer.toUnsignedLong(blockSize), Torrent.MIN_BLOCK_SIZE, Torrent.MAX_BLOCK_SIZE);
    }
    return blockSize;
  }

  private static ShareResponse shared(Torrent torrent) {
    return ShareResponse.newBuilder()
        .setInfohash(torrent.infoHash().hex())
        .setName(torrent.name())
        .setSize(torrent.size())
        .setBlockCount(torrent.blockCount())
        .build();
  }

  /**
   * Sends a ShareWithProgress caller how far the hashing got: the first batch at once, then at
   * most one message per interval. Stops the hashing once the caller has gone.
   */
  private static final class HashingProgress implements ManifestBuilder.Progress {
    private final StreamObserver<ShareWithProgressResponse> caller;
    private final long everyNanos;
    private final Context call;
    private long sentAt;
    private long sentBytes = -1;

    HashingProgress(StreamObserver<ShareWithProgressResponse> caller, Duration every,
        Context call) {
      this.caller = caller;
      this.everyNanos = every.toNanos();
      this.call = call;
    }

    @Override
    public void hashed(long bytesHashed, long size) {
      if (call.isCancelled()) {
        throw new CancellationException(String.format(
            "the caller cancelled the share with %d of %d bytes hashed", bytesHashed, size));
      }
      long now = System.nanoTime();
      if (sentBytes >= 0 && now - sentAt < everyNanos) {
        return;
      }
      long rate = sentBytes < 0 || now == sentAt ? 0
          : (long) ((bytesHashed - sentBytes) * 1e9 / (now - sentAt));
      caller.onNext(ShareWithProgressResponse.newBuilder()
          .setBytesHashed(bytesHashed)
          .setSize(size)
          .setBytesPerSecond(rate)
          .build());
      sentAt = now;
      sentBytes = bytesHashed;
    }
  }

  @Override
  public void download(DownloadRequest request,
      StreamObserver<DownloadResponse> responseObserver) {
    DownloadOrder order = DownloadOrders.from(request);
    Duration noPeersTimeout = request.getNoPeersTimeoutMs() == 0
        ? daemon.noPeersTimeout()
        : Duration.ofMillis(Integer.toUnsignedLong(request.getNoPeersTimeoutMs()));
    Duration every = request.getProgressIntervalMs() == 0 ? ProgressStream.DEFAULT_PERIOD
        : Duration.ofMillis(Math.max(ProgressStream.MIN_PERIOD.toMillis(),
            Integer.toUnsignedLong(request.getProgressIntervalMs())));
    TorrentSession session = io(() -> daemon.download(order));
    new ProgressStream(session, () -> daemon.stalledFor(session),
        () -> daemon.stallReason(session),
        noPeersTimeout, every, scheduler,
        (ServerCallStreamObserver<DownloadResponse>) responseObserver)
        .start();
  }

  @Override
  public void listTransfers(ListTransfersRequest request,
      StreamObserver<ListTransfersResponse> responseObserver) {
    ListTransfersResponse.Builder response = ListTransfersResponse.newBuilder();
    for (TorrentSession session : daemon.sessions()) {
      response.addTransfers(TransferMapper.toProto(session.snapshot()));
    }
    Usage usage = daemon.usage();
    response.setUsage(DaemonUsage.newBuilder()
        .setUploadLimitBytesPerSecond(usage.limits().uploadBytesPerSecond())
        .setDownloadLimitBytesPerSecond(usage.limits().downloadBytesPerSecond())
        .setCacheMaxBytes(usage.limits().cacheMaxBytes())
        .setCacheBytes(usage.cacheBytes())
        .setSeedTtlMs(usage.limits().seedTtl().toMillis())
        .setEvictions(usage.evictions()));
    response.setTracker(daemon.trackerInUse());
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
