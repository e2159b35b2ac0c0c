package io.minibit.peer.session;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.minibit.api.v2.SubscribeResponse;
import java.util.ArrayList;
import java.util.List;

/** A Subscribe stream whose flow-control window a test opens and closes; not thread-safe. */
class FakeSubscribeStream extends ServerCallStreamObserver<SubscribeResponse> {
  final List<SubscribeResponse> written = new ArrayList<>();
  volatile boolean ready = true;
  Runnable onReady = () -> { };
  Runnable onCancel = () -> { };
  Status error;
  Throwable failure;

  void becomeReady() {
    ready = true;
    onReady.run();
  }

  List<String> kinds() {
    return written.stream().map(e -> e.getEventCase().name()).toList();
  }

  @Override
  public boolean isCancelled() {
    return false;
  }

  @Override
  public void setOnCancelHandler(Runnable handler) {
    onCancel = handler;
  }

  @Override
  public void setCompression(String compression) {}

  @Override
  public boolean isReady() {
    return ready;
  }

  @Override
  public void setOnReadyHandler(Runnable handler) {
    onReady = handler;
  }

  @Override
  public void disableAutoInboundFlowControl() {}

  @Override
  public void request(int count) {}

  @Override
  public void setMessageCompression(boolean enable) {}

  @Override
  public void onNext(SubscribeResponse value) {
    written.add(value);
  }

  @Override
  public void onError(Throwable t) {
    error = Status.fromThrowable(t);
    failure = t;
  }

  @Override
  public void onCompleted() {}
}
