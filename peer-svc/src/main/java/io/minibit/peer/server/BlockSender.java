package io.minibit.peer.server;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.minibit.api.v1.Block;
import io.minibit.peer.session.TorrentSession;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import java.util.logging.Logger;

/**
 * Streams the blocks of one GetBlocks call as fast as the caller reads them: a block is read from
 * disk only when the transport is ready for it, so a slow reader never makes this peer buffer
 * more than a block or so per call. A caller choked meanwhile gets RESOURCE_EXHAUSTED for the
 * rest of the call. Thread-safe: gRPC may call {@link #run} from any thread.
 */
final class BlockSender implements Runnable {
  private static final Logger log = Logger.getLogger(BlockSender.class.getName());

  private final TorrentSession session;
  private final String peerId;
  private final Iterator<Integer> remaining;
  private final UploadLimiter limiter;
  private final ServerCallStreamObserver<Block> call;
  private final Runnable ended;
  private boolean done;

  /** @param ended run once when the call is over, however it ends */
  BlockSender(TorrentSession session, String peerId, List<Integer> indices,
      UploadLimiter limiter, ServerCallStreamObserver<Block> call, Runnable ended) {
    this.session = session;
    this.peerId = peerId;
    this.remaining = indices.iterator();
    this.limiter = limiter;
    this.call = call;
    this.ended = ended;
  }

  void start() {
    call.setOnReadyHandler(this);
    call.setOnCancelHandler(() -> {
      synchronized (this) {
        done = true;
      }
      ended.run();
    });
    call.setOnCloseHandler(ended);
    run();
  }

  @Override
  public synchronized void run() {
    while (!done && call.isReady() && remaining.hasNext()) {
      if (refuseIfChoked()) {
        return;
      }
      int index = remaining.next();
      int length = session.store().torrent().blockLength(index);
      // The upload cap may hold this thread for a while (other peers take their turns): a peer
      // choked meanwhile is refused, and the bytes it would have had go back to the others.
      limiter.acquire(peerId, length);
      if (call.isCancelled()) {
        limiter.refund(length);
        done = true;
        return;
      }
      if (refuseIfChoked()) {
        limiter.refund(length);
        return;
      }
      byte[] data;
      try {
        data = session.store().read(index);
      } catch (IOException e) {
        log.warning(() -> "cannot read block " + index + " of " + session + ": " + e.getMessage());
        done = true;
        call.onError(Status.UNAVAILABLE
            .withDescription("cannot read block " + index + " from disk").asRuntimeException());
        return;
      }
      call.onNext(Block.newBuilder()
          .setIndex(index)
          .setData(UnsafeByteOperations.unsafeWrap(data))
          .build());
      session.recordUploaded(peerId, index, data.length);
    }
    if (!done && !remaining.hasNext()) {
      done = true;
      call.onCompleted();
    }
  }

  /** Ends the call with RESOURCE_EXHAUSTED if its caller is choked now; true if it did. */
  private boolean refuseIfChoked() {
    if (!session.uploadSlots().isChoking(peerId)) {
      return false;
    }
    // Choked since the call began: what it still asks for is dropped, as in BitTorrent.
    done = true;
    call.onError(Status.RESOURCE_EXHAUSTED.withDescription(
        "choked: the rest of this call is dropped; wait for UNCHOKE").asRuntimeException());
    return true;
  }
}
