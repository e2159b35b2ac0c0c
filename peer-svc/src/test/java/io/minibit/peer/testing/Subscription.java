package io.minibit.peer.testing;

import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v2.PeerServiceGrpc;
import io.minibit.api.v2.SubscribeRequest;
import io.minibit.api.v2.SubscribeResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A Subscribe stream a test opens before it asks a peer for blocks, as a downloader does: a peer
 * serves GetBlocks only to a subscriber, over the connection of its subscription. Closing it
 * cancels the stream.
 */
public final class Subscription implements AutoCloseable {
  private final Context.CancellableContext context;

  private Subscription(Context.CancellableContext context) {
    this.context = context;
  }

  /**
   * Subscribes to {@code infohash} on {@code channel} as {@code peerId} and waits (up to 30 s)
   * for the first event, the peer's bitfield: the subscription is then registered. A refused
   * subscription throws its StatusRuntimeException.
   */
  public static Subscription open(Channel channel, String infohash, String peerId) {
    Context.CancellableContext context = Context.current().withCancellation();
    CompletableFuture<SubscribeResponse> first = new CompletableFuture<>();
    context.run(() -> PeerServiceGrpc.newStub(channel).subscribe(SubscribeRequest.newBuilder()
        .setInfohash(infohash).setPeerId(peerId).build(), new StreamObserver<>() {
          @Override
          public void onNext(SubscribeResponse event) {
            first.complete(event);
          }

          @Override
          public void onError(Throwable t) {
            first.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            first.completeExceptionally(new IllegalStateException("the stream ended"));
          }
        }));
    try {
      first.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      context.cancel(null);
      throw e.getCause() instanceof RuntimeException runtime ? runtime
          : new IllegalStateException(e.getCause());
    } catch (TimeoutException e) {
      context.cancel(null);
      throw new IllegalStateException("no bitfield within 30 s of subscribing", e);
    } catch (InterruptedException e) {
      context.cancel(null);
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while subscribing", e);
    }
    return new Subscription(context);
  }

  @Override
  public void close() {
    context.cancel(null);
  }
}
