package io.minibit.core.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.netty.shaded.io.netty.bootstrap.ServerBootstrap;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Real sockets on the loopback interface; the kernel says which algorithm each one has. */
class CongestionControlTest {
  private static final Path PROC = Path.of("/proc/sys/net/ipv4");

  @Test
  void aListIsReadInOrderOfPreferenceAndSystemNamesNone() {
    assertEquals(List.of("cubic", "reno"),
        CongestionControl.parse("--cc", CongestionControl.DEFAULT));
    assertEquals(List.of("bbr", "reno"), CongestionControl.parse("--cc", " BBR , reno,bbr"));
    assertEquals(List.of(), CongestionControl.parse("--cc", "system"));
  }

  @Test
  void anythingElseIsRefusedNamingTheFlag() {
    for (String bad : List.of("cu bic", "../reno", "a23456789012345678", "1x")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> CongestionControl.parse("--congestion-control", bad), bad);
      assertEquals("--congestion-control: '" + bad + "' is not a TCP congestion control name "
          + "(cubic, reno, ...; several comma-separated, or 'system' for the host's default)",
          e.getMessage());
    }
    for (String empty : List.of("", "cubic,", ",reno", " ")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> CongestionControl.parse("--congestion-control", empty), empty);
      assertTrue(e.getMessage().startsWith("--congestion-control has an empty entry"),
          e.getMessage());
    }
  }

  @Test
  void theFirstAlgorithmASocketTakesIsChosenAndUnknownOnesAreSkipped() throws IOException {
    assumeTrue(Epoll.isAvailable(), "set on Linux's native transport only");
    String other = otherThanDefault();
    assertEquals(Optional.of(other),
        CongestionControl.firstSettable(List.of("no_such_cc", other, "reno")));
    assertEquals(Optional.empty(), CongestionControl.firstSettable(List.of("no_such_cc")));
    assertEquals(Optional.empty(), CongestionControl.firstSettable(List.of()));
  }

  @Test
  void everyConnectionAServerAcceptsHasItsListeningSocketsAlgorithm() throws Exception {
    assumeTrue(Epoll.isAvailable(), "set on Linux's native transport only");
    String other = otherThanDefault();
    EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    CompletableFuture<String> accepted = new CompletableFuture<>();
    try {
      // the option and value CongestionControl.applyTo gives a peer server's builder
      Channel server = new ServerBootstrap().group(loop).channel(EpollServerSocketChannel.class)
          .option(CongestionControl.OPTION, CongestionControl.value(other))
          .childHandler(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
              accepted.complete(algorithmOf(ctx.channel()));
            }
          })
          .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
      assertEquals(other, algorithmOf(server));
      try (Socket client = new Socket(InetAddress.getLoopbackAddress(),
          ((InetSocketAddress) server.localAddress()).getPort())) {
        assertEquals(other, accepted.get(5, TimeUnit.SECONDS));
      }
      server.close().sync();
    } finally {
      loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  /** The algorithm the kernel reports for {@code channel}'s socket. */
  private static String algorithmOf(Channel channel) {
    ByteBuffer value = channel.config().getOption(CongestionControl.OPTION);
    byte[] bytes = new byte[value.remaining()];
    value.get(bytes);
    int end = 0;
    while (end < bytes.length && bytes[end] != 0) {
      end++;
    }
    return new String(bytes, 0, end, StandardCharsets.US_ASCII);
  }

  /** An algorithm other than the host's default that this process may set, for the test. */
  private static String otherThanDefault() throws IOException {
    String current = Files.readString(PROC.resolve("tcp_congestion_control")).strip();
    List<String> others = new ArrayList<>(Arrays.asList(
        Files.readString(PROC.resolve("tcp_available_congestion_control")).strip().split("\\s+")));
    others.remove(current);
    Optional<String> settable = CongestionControl.firstSettable(others);
    assumeTrue(settable.isPresent(), "this host lets the test set only its default, " + current);
    return settable.get();
  }
}
