package io.minibit.core.grpc;

import static io.minibit.core.grpc.FrameFollowerTest.DATA;
import static io.minibit.core.grpc.FrameFollowerTest.concat;
import static io.minibit.core.grpc.FrameFollowerTest.frame;
import static io.minibit.core.grpc.FrameFollowerTest.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap;
import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.ChannelInitializer;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.util.ReferenceCountUtil;
import io.minibit.core.grpc.FrameFollower.Framing;
import io.minibit.core.testing.Await;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Real sockets on the loopback interface, where the kernel honours the mark. */
class ReadBatchingTest {
  private EventLoopGroup loop;
  private ServerSocket listener;
  private Socket server;
  private OutputStream toClient;
  private Channel client;
  private ReadBatching batching;
  private final Received received = new Received();
  private long sent;

  /** Bytes the client has read and the reads it made, for the test's thread to wait on. */
  private static final class Received {
    private long bytes;
    private long bytesByLastRead;
    private int wakeups;

    synchronized void add(long more) {
      bytes += more;
    }

    /** A read is over: what it read may be waited for. */
    synchronized void wakeup() {
      wakeups++;
      bytesByLastRead = bytes;
    }

    synchronized int wakeups() {
      return wakeups;
    }

    synchronized long bytesByLastRead() {
      return bytesByLastRead;
    }

    /** Waits up to 5 s until reads that are over have brought {@code total} bytes in all. */
    void await(long total) {
      long read = Await.until(Duration.ofSeconds(5), total + " bytes read",
          this::bytesByLastRead, bytes -> bytes >= total);
      assertEquals(total, read, "bytes read within 5 s");
    }
  }

  private void connect(Framing framing) throws Exception {
    assumeTrue(Epoll.isAvailable(), "the native epoll transport runs on Linux only");
    loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    batching = new ReadBatching(framing);
    client = new Bootstrap().group(loop).channel(EpollSocketChannel.class)
        .handler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel channel) {
            channel.pipeline().addLast(batching, new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                received.add(((ByteBuf) msg).readableBytes());
                ReferenceCountUtil.release(msg);
              }

              @Override
              public void channelReadComplete(ChannelHandlerContext ctx) {
                received.wakeup();
              }
            });
          }
        })
        .connect(new InetSocketAddress(listener.getInetAddress(), listener.getLocalPort()))
        .sync().channel();
    server = listener.accept();
    server.setTcpNoDelay(true);
    toClient = server.getOutputStream();
  }

  @AfterEach
  void close() throws Exception {
    if (client != null) {
      client.close().sync();
    }
    if (server != null) {
      server.close();
    }
    if (listener != null) {
      listener.close();
    }
    if (loop != null) {
      loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  @Test
  void aFrameUnderWayIsReadWholeInOneWakeup() throws Exception {
    connect(Framing.HTTP2);
    send(frame(16_384, DATA, 0, 1), new byte[1000]);
    received.await(sent);
    assertEquals(16_384 - 1000, markOnTheLoop(), "the rest of the frame");
    assertEquals(16_384 - 1000, client.config().getOption(ReadBatching.SO_RCVLOWAT),
        "the socket's own mark");

    int wakeups = received.wakeups();
    send(new byte[5000]); // under the mark: no wakeup for these alone
    send(new byte[16_384 - 6000]);
    received.await(sent);
    assertEquals(wakeups + 1, received.wakeups(), "one wakeup for the rest of the frame");
    assertEquals(1, markOnTheLoop(), "between frames");
  }

  @Test
  void aTlsRecordUnderWayIsReadWholeInOneWakeup() throws Exception {
    connect(Framing.TLS);
    send(record(16_401), new byte[1000]);
    received.await(sent);
    assertEquals(16_401 - 1000, markOnTheLoop());

    int wakeups = received.wakeups();
    send(new byte[5000]);
    send(new byte[16_401 - 6000], record(6000), new byte[100]);
    received.await(sent);
    assertEquals(wakeups + 1, received.wakeups());
    assertEquals(5900, markOnTheLoop(), "the next record's rest");
  }

  @Test
  void onlyKernelsThatWakeAReaderWhenItsMarkIsLoweredGetTheMark() {
    assertTrue(ReadBatching.atLeast418("6.1.0-18-amd64"));
    assertTrue(ReadBatching.atLeast418("4.18.0-553.el8_10.x86_64"));
    assertTrue(ReadBatching.atLeast418("5.4"));
    assertFalse(ReadBatching.atLeast418("4.9.0-19-amd64"));
    assertFalse(ReadBatching.atLeast418("3.10.0-1160.el7.x86_64"));
    assertFalse(ReadBatching.atLeast418(""));
    assertFalse(ReadBatching.atLeast418("99999999999.1"));
  }

  private void send(byte[]... parts) throws Exception {
    byte[] bytes = concat(parts);
    sent += bytes.length;
    toClient.write(bytes);
    toClient.flush();
  }

  private int markOnTheLoop() throws Exception {
    return client.eventLoop().submit(batching::mark).get(5, TimeUnit.SECONDS);
  }
}
