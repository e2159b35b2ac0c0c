package io.minibit.peer.download;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.minibit.api.v2.GetBlocksRequest;
import io.minibit.core.ErrorReason;
import io.minibit.core.store.BlockStore;
import io.minibit.peer.telemetry.DownloadTrace;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;

/**
 * The blocks of one GetBlocks call as they arrive: each is checked to be one asked for (one that
 * is not breaks the protocol, and the rest of the call is ignored), then verified and written on
 * the call's own thread, so that peers' blocks are hashed in parallel; only the outcome goes to
 * the link's {@link PeerLink.Events}. The call's stream is kept in the link's map of open calls
 * while it runs, so that it can be cancelled.
 *
 * <p>gRPC calls its methods one at a time, on its own threads.
 */
final class BlockStream implements ClientResponseObserver<GetBlocksRequest, ReceivedBlock> {
  private final int generation;
  private final RemotePeer.Call call;
  private final GrpcPeerLink.BlockSink sink;
  private final DownloadTrace.Source span;
  private final PeerLink.Events events;
  private final Map<RemotePeer.Call, ClientCallStreamObserver<?>> open;
  private boolean refused; // gRPC calls an observer's methods one at a time

  BlockStream(int generation, RemotePeer.Call call, GrpcPeerLink.BlockSink sink,
      DownloadTrace.Source span, PeerLink.Events events,
      Map<RemotePeer.Call, ClientCallStreamObserver<?>> open) {
    this.generation = generation;
    this.call = call;
    this.sink = sink;
    this.span = span;
    this.events = events;
    this.open = open;
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<GetBlocksRequest> stream) {
    open.put(call, stream);
  }

  @Override
  public void onNext(ReceivedBlock block) {
    try (block) {
      if (refused) {
        return;
      }
      if (!call.asked.contains(block.index())) {
        refused = true;
        events.violated(generation, "sent block " + block.index() + ", which was not asked for");
        return;
      }
      int bytes = block.length();
      BlockStore.WriteResult result = sink.write(block);
      if (result == BlockStore.WriteResult.STORED) {
        span.delivered(bytes);
      }
      events.written(generation, call, block.index(), result, bytes);
    } catch (IOException e) {
      refused = true;
      events.writeFailed(e);
    }
  }

  @Override
  public void onError(Throwable t) {
    open.remove(call);
    events.ended(generation, call, Status.fromThrowable(t), ErrorReason.of(t));
  }

  @Override
  public void onCompleted() {
    open.remove(call);
    events.ended(generation, call, Status.OK, Optional.empty());
  }
}
