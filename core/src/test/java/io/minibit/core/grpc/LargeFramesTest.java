package io.minibit.core.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelOutboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.ChannelPromise;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A gRPC server on the loopback interface streams blocks to a client; what the server writes
 * is read frame by frame off the wire, as the client's kernel receives it.
 */
class LargeFramesTest {
  private static final int BLOCK_BYTES = 256 * 1024;
  /** gRPC's length prefix of a message. */
  private static final int MESSAGE_PREFIX_BYTES = 5;
  private static final byte DATA = 0;

  private static final MethodDescriptor<byte[], byte[]> BLOCKS =
      MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
          .setFullMethodName("test.Blocks/Get")
          .setRequestMarshaller(RawBytes.INSTANCE)
          .setResponseMarshaller(RawBytes.INSTANCE)
          .build();

  private final List<Integer> dataFrames = new CopyOnWriteArrayList<>();
  private final byte[][] blocks = {block(1), block(2), block(3)};
  private EventLoopGroup serverLoop;
  private Server server;
  private ManagedChannel channel;

  @AfterEach
  void close() throws Exception {
    if (channel != null) {
      Channels.close(channel);
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (serverLoop != null) {
      serverLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  @Test
  void aPeerChannelGetsEachBlockFromAPeerServerInOneFrame() throws Exception {
    assumeTrue(Epoll.isAvailable(), "peer channels read by the frame on Linux's epoll only");
    int port = start(LargeFrames::applyTo);
    fetchBlocks(Channels.toPeer("127.0.0.1:" + port, Optional.empty()));

    // A block and its gRPC prefix in one frame, or several blocks written together in one.
    assertTrue(dataFrames.size() <= blocks.length, "a frame per block at most: " + dataFrames);
    assertEquals(blocks.length * (BLOCK_BYTES + MESSAGE_PREFIX_BYTES),
        dataFrames.stream().mapToInt(Integer::intValue).sum(), "every byte in those frames");
    assertTrue(largestFrame() <= LargeFrames.MAX_FRAME_BYTES, "within what was asked for");
  }

  @Test
  void aServerWithItsUsualWriteBufferCutsBlocksIntoFramesOfThatSize() throws Exception {
    assumeTrue(Epoll.isAvailable(), "peer channels read by the frame on Linux's epoll only");
    int port = start(UnaryOperator.identity());
    fetchBlocks(Channels.toPeer("127.0.0.1:" + port, Optional.empty()));

    assertTrue(largestFrame() > LargeFrames.DEFAULT_FRAME_BYTES, "asked for: " + dataFrames);
    assertTrue(dataFrames.size() >= blocks.length * 3,
        "a block cut at about Netty's 64 KiB write buffer: " + dataFrames);
  }

  @Test
  void aChannelThatDoesNotAskGetsHttp2sUsualFrames() throws Exception {
    int port = start(LargeFrames::applyTo);
    fetchBlocks(Channels.forTarget("127.0.0.1:" + port));

    assertEquals(LargeFrames.DEFAULT_FRAME_BYTES, largestFrame(), "frames: " + dataFrames);
  }

  /** Starts the server, its builder passed through {@code configure}; returns its port. */
  private int start(UnaryOperator<NettyServerBuilder> configure) throws Exception {
    serverLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    ServerServiceDefinition service = ServerServiceDefinition.builder("test.Blocks")
        .addMethod(BLOCKS, ServerCalls.asyncServerStreamingCall((request, responses) -> {
          for (byte[] block : blocks) {
            responses.onNext(block);
          }
          responses.onCompleted();
        }))
        .build();
    server = configure.apply(NettyServerBuilder
            .forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .channelFactory(() -> new Recording(dataFrames))
            .bossEventLoopGroup(serverLoop)
            .workerEventLoopGroup(serverLoop))
        .addService(service)
        .build()
        .start();
    return server.getPort();
  }

  /**
   * Fetches the blocks twice over {@code client} and keeps the frames of the second time only:
   * the client asks for larger frames once the connection is up, and the server may already
   * have answered the first call by the time it reads the request.
   */
  private void fetchBlocks(ManagedChannel client) {
    channel = client;
    fetchOnce();
    dataFrames.clear();
    fetchOnce();
  }

  private void fetchOnce() {
    Iterator<byte[]> got = ClientCalls.blockingServerStreamingCall(channel, BLOCKS,
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new byte[0]);
    for (byte[] block : blocks) {
      assertArrayEquals(block, got.next());
    }
    assertTrue(!got.hasNext());
  }

  private int largestFrame() {
    return dataFrames.stream().mapToInt(Integer::intValue).max().orElse(0);
  }

  private static byte[] block(int seed) {
    byte[] bytes = new byte[BLOCK_BYTES];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  /** The server's listening channel: every connection it accepts has its writes read. */
  private static final class Recording extends NioServerSocketChannel {
    private final List<Integer> dataFrames;

    Recording(List<Integer> dataFrames) {
      this.dataFrames = dataFrames;
    }

    @Override
    protected int doReadMessages(List<Object> accepted) throws Exception {
      int before = accepted.size();
      int count = super.doReadMessages(accepted);
      for (Object connection : accepted.subList(before, accepted.size())) {
        ((Channel) connection).pipeline().addFirst(new FrameReader(dataFrames));
      }
      return count;
    }
  }

  /**
   * Reads the HTTP/2 frames a connection writes, at the socket's end of its pipeline, and
   * records the payload length of each DATA frame. The client's preface is inbound, so the
   * server's writes start with a frame header.
   */
  private static final class FrameReader extends ChannelOutboundHandlerAdapter {
    private final List<Integer> dataFrames;
    private final byte[] header = new byte[9];
    private int headerSeen;
    private int left;

    FrameReader(List<Integer> dataFrames) {
      this.dataFrames = dataFrames;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (msg instanceof ByteBuf bytes) {
        for (int at = bytes.readerIndex(); at < bytes.writerIndex(); ) {
          if (left > 0) {
            int skipped = Math.min(left, bytes.writerIndex() - at);
            left -= skipped;
            at += skipped;
          } else {
            header[headerSeen++] = bytes.getByte(at++);
            if (headerSeen == header.length) {
              headerSeen = 0;
              left = (header[0] & 0xff) << 16 | (header[1] & 0xff) << 8 | (header[2] & 0xff);
              if (header[3] == DATA) {
                dataFrames.add(left);
              }
            }
          }
        }
      }
      ctx.write(msg, promise);
    }
  }
}
