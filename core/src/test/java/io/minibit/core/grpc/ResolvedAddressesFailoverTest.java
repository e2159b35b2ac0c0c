package io.minibit.core.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.EquivalentAddressGroup;
import io.grpc.ManagedChannel;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v2.ListTorrentsRequest;
import io.minibit.api.v2.ListTorrentsResponse;
import io.minibit.api.v2.TorrentSummary;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.testing.GrpcCleanup;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a {@code dns:///NAME:PORT} tracker entry relies on: a channel from {@link Channels} over a
 * name with several addresses (here from a resolver of the test's own, as a DNS name with two A
 * records would give) sends its calls to the first address, and, with gRPC's default pick_first
 * policy, to the next one when that one goes away, without the caller doing anything.
 */
class ResolvedAddressesFailoverTest {
  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();

  private final String scheme = "twotrackers" + Long.toHexString(System.nanoTime());
  private NameResolverProvider provider;

  /** A tracker whose catalog is one torrent named {@code name}. */
  private Server tracker(String name) throws Exception {
    return grpc.register(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new TrackerServiceGrpc.TrackerServiceImplBase() {
          @Override
          public void listTorrents(ListTorrentsRequest request,
              StreamObserver<ListTorrentsResponse> response) {
            response.onNext(ListTorrentsResponse.newBuilder()
                .addTorrents(TorrentSummary.newBuilder().setName(name)).build());
            response.onCompleted();
          }
        }).build().start());
  }

  /** Resolves {@code scheme:///trackers} to {@code addresses}, in that order, every time. */
  private void resolveTo(List<SocketAddress> addresses) {
    List<EquivalentAddressGroup> groups = addresses.stream().map(EquivalentAddressGroup::new)
        .toList();
    provider = new NameResolverProvider() {
      @Override
      protected boolean isAvailable() {
        return true;
      }

      @Override
      protected int priority() {
        return 5;
      }

      @Override
      public String getDefaultScheme() {
        return scheme;
      }

      @Override
      public NameResolver newNameResolver(URI target, NameResolver.Args args) {
        if (!scheme.equals(target.getScheme())) {
          return null;
        }
        return new NameResolver() {
          private Listener2 listener;

          @Override
          public String getServiceAuthority() {
            return "trackers";
          }

          @Override
          public void start(Listener2 listener) {
            this.listener = listener;
            refresh();
          }

          @Override
          public void refresh() {
            listener.onResult(ResolutionResult.newBuilder().setAddresses(groups).build());
          }

          @Override
          public void shutdown() {}
        };
      }
    };
    NameResolverRegistry.getDefaultRegistry().register(provider);
  }

  @AfterEach
  void unregister() {
    if (provider != null) {
      NameResolverRegistry.getDefaultRegistry().deregister(provider);
    }
  }

  private static String catalogOf(ManagedChannel channel) {
    return TrackerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .listTorrents(ListTorrentsRequest.getDefaultInstance()).getTorrents(0).getName();
  }

  @Test
  void callsGoToTheFirstAddressAndMoveToTheNextWhenItGoesAway() throws Exception {
    Server first = tracker("first");
    Server second = tracker("second");
    resolveTo(List.of(first.getListenSockets().get(0), second.getListenSockets().get(0)));
    ManagedChannel channel = grpc.register(Channels.forTarget(scheme + ":///trackers"));

    assertEquals("first", catalogOf(channel));
    assertEquals("first", catalogOf(channel), "pick_first: not spread over both");

    first.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    assertEquals("second", catalogOf(channel));
    assertEquals("second", catalogOf(channel));
  }
}
