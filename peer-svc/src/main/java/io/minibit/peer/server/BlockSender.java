package io.minibit.peer.server;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.minibit.api.v2.GetBlocksResponse;
import io.minibit.core.ErrorReason;
import io.minibit.core.MinibitException;
import io.minibit.peer.session.TorrentSession;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Streams the blocks of one GetBlocks call as fast as the caller reads them: a block is read from
 * disk only when the transport is ready for it, so a slow reader never makes this peer buffer
 * more than a block or so per call. A caller choked meanwhile gets RESOURCE_EXHAUSTED for the
 * rest of the call. A block held back by the upload cap waits in the limiter's queue, not on a
 * thread. Thread-safe: gRPC may call {@link #run} from any thread, the limiter its callback.
 */
final class BlockSender implements Runnable {
  private static final Logger log = Logger.getLogger(BlockSender.class.getName());

  private final TorrentSession session;
  private final String peerId;
  private final Iterator<Integer> remaining;
  private final UploadLimiter limiter;
  private final ServerCallStreamObserver<GetBlocksResponse> call;
  private final Runnable ended;
  private boolean done;
  /** The block whose bytes the upload cap is to give, or -1. */
  private int waitingFor = -1;
  private final Runnable granted = this::granted;

  /** @param ended run once when the call is over, however it ends */
  BlockSender(TorrentSession session, String peerId, List<Integer> indices,
      UploadLimiter limiter, ServerCallStreamObserver<GetBlocksResponse> call, Runnable ended) {
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
        if (waitingFor >= 0 && limiter.cancel(peerId, granted)) {
          waitingFor = -1;
        }
      }
      ended.run();
    });
    call.setOnCloseHandler(ended);
    run();
  }

  @Override
  public synchronized void run() {
    while (!done && waitingFor < 0 && call.isReady() && remaining.hasNext()) {
      if (refuseIfChoked()) {
        return;
      }
      int index = remaining.next();
      // The upload cap may make this block wait (other peers take their turns): the call then
      // goes on when the limiter has taken its bytes, and no thread waits meanwhile.
      if (!limiter.acquire(peerId, length(index), granted)) {
        waitingFor = index;
        return;
      }
      if (!send(index)) {
        return;
      }
    }
    if (!done && waitingFor < 0 && !remaining.hasNext()) {
      done = true;
      call.onCompleted();
    }
  }

  /** The limiter took the bytes of the block this call waits for: send it, and go on. */
  private synchronized void granted() {
    int index = waitingFor;
    waitingFor = -1;
    if (done) { // cancelled after its bytes were taken
      limiter.refund(length(index));
      return;
    }
    if (send(index)) {
      run();
    }
  }

  /**
   * Sends block {@code index}, whose bytes the limiter gave; false if the call ended instead (a
   * peer choked meanwhile is refused, and the bytes it would have had go back to the others).
   */
  private boolean send(int index) {
    int length = length(index);
    if (call.isCancelled()) {
      limiter.refund(length);
      done = true;
      return false;
    }
    if (refuseIfChoked()) {
      limiter.refund(length);
      return false;
    }
    byte[] data;
    try {
      data = session.store().read(index);
    } catch (IOException e) {
      log.warning(() -> "cannot read block " + index + " of " + session + ": " + e.getMessage());
      done = true;
      call.onError(Status.UNAVAILABLE
          .withDescription("cannot read block " + index + " from disk").asRuntimeException());
      return false;
    }
    call.onNext(GetBlocksResponse.newBuilder()
        .setIndex(index)
        .setData(UnsafeByteOperations.unsafeWrap(data))
        .build());
    session.recordUploaded(peerId, index, data.length);
    return true;
  }

  private int length(int index) {
    return session.store().torrent().blockLength(index);
  }

  /** Ends the call with RESOURCE_EXHAUSTED if its caller is choked now; true if it did. */
  private boolean refuseIfChoked() {
    if (!session.uploadSlots().isChoking(peerId)) {
      return false;
    }
    // Choked since the call began: what it still asks for is dropped, as in BitTorrent.
    done = true;
    call.onError(new MinibitException(ErrorReason.CHOKED, Map.of(),
        "choked: the rest of this call is dropped; wait for UNCHOKE").toStatusException());
    return true;
  }
}
