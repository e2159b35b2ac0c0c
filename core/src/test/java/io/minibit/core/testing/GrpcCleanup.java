package io.minibit.core.testing;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 counterpart of grpc-testing's {@code GrpcCleanupRule}: servers, channels and other
 * closeables registered during a test are shut down after it, last registered first, and the
 * test fails if one does not terminate in time. Use as an instance field:
 * {@code @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();}
 *
 * <p>Not thread-safe: register from the test thread.
 */
public final class GrpcCleanup implements AfterEachCallback {
  private static final long TERMINATION_SECONDS = 5;

  private final Deque<AutoCloseable> resources = new ArrayDeque<>();

  public <T extends ManagedChannel> T register(T channel) {
    resources.push(() -> {
      channel.shutdownNow();
      if (!channel.awaitTermination(TERMINATION_SECONDS, TimeUnit.SECONDS)) {
        throw new AssertionError("channel did not terminate: " + channel);
      }
    });
    return channel;
  }

  public <T extends Server> T register(T server) {
    resources.push(() -> {
      server.shutdownNow();
      if (!server.awaitTermination(TERMINATION_SECONDS, TimeUnit.SECONDS)) {
        throw new AssertionError("server did not terminate: " + server);
      }
    });
    return server;
  }

  public <T extends AutoCloseable> T register(T closeable) {
    resources.push(closeable);
    return closeable;
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    Exception first = null;
    while (!resources.isEmpty()) {
      try {
        resources.pop().close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
