package io.minibit.core.grpc;

import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelException;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.IntegerUnixChannelOption;
import io.minibit.core.grpc.FrameFollower.Framing;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Wakes a client connection's event loop once per HTTP/2 frame (or TLS record) instead of once
 * per TCP segment. A block behind a capped link trickles in a few kilobytes at a time, and every
 * wakeup costs an epoll return, a read, a buffer and a pass through the decoders, which can do
 * nothing with a frame until it is whole.
 *
 * <p>First in the pipeline, it lets a {@link FrameFollower} watch the bytes go by and, after each
 * read, sets the socket's {@code SO_RCVLOWAT} (the kernel wakes the reader only once that many
 * bytes wait) to the rest of the frame under way. That delays nothing: the bytes behind the frame
 * on the wire come after it anyway, and a sender that dies mid-frame closes the connection, which
 * wakes the reader whatever the mark. A plaintext connection also asks its server for
 * {@link LargeFrames}, and reads a whole one at once. Event-loop confined, one per connection.
 */
final class ReadBatching extends ChannelInboundHandlerAdapter {
  /** SO_RCVLOWAT (SOL_SOCKET, option 18 on Linux). */
  static final IntegerUnixChannelOption SO_RCVLOWAT =
      new IntegerUnixChannelOption("SO_RCVLOWAT", 1, 18);

  private static final Pattern RELEASE = Pattern.compile("^(\\d{1,4})\\.(\\d{1,4})");

  private final FrameFollower frames;
  private int mark = 1;
  /** Whether large frames are yet to be asked for: plaintext HTTP/2 only (see LargeFrames). */
  private boolean framesToAskFor;

  ReadBatching(Framing framing) {
    this.frames = new FrameFollower(framing);
    this.framesToAskFor = framing == Framing.HTTP2;
  }

  /**
   * Has the TCP channels {@code builder} makes wake once per frame of {@code framing}, where the
   * native epoll transport runs on Linux 4.18 or later (which wakes a reader at once when its
   * mark is lowered below what waits); elsewhere {@code builder} is left as it is.
   */
  static NettyChannelBuilder applyTo(NettyChannelBuilder builder, Framing framing) {
    if (!applies()) {
      return builder;
    }
    return builder.eventLoopGroup(PeerNetworkThreads.downloads()).channelFactory(() -> {
      EpollSocketChannel channel = new EpollSocketChannel();
      if (framing == Framing.HTTP2) {
        channel.config().setRecvByteBufAllocator(LargeFrames.reads());
      }
      channel.pipeline().addFirst(new ReadBatching(framing));
      return channel;
    });
  }

  /**
   * Whether channels get read batching here, and with it the downloads' own event loops
   * ({@link PeerNetworkThreads#downloadLoop}): the native epoll transport on Linux 4.18 or later.
   */
  static boolean applies() {
    return Epoll.isAvailable() && atLeast418(System.getProperty("os.version", ""));
  }

  /** Whether a Linux release string ("6.1.0-18-amd64") is 4.18 or later. */
  static boolean atLeast418(String release) {
    Matcher version = RELEASE.matcher(release);
    if (!version.find()) {
      return false;
    }
    int major = Integer.parseInt(version.group(1));
    return major > 4 || (major == 4 && Integer.parseInt(version.group(2)) >= 18);
  }

  /** The mark now set on the socket (1 when reads are not batched). */
  int mark() {
    return mark;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (framesToAskFor) { // the server has spoken: the connection's HTTP/2 handler is set up
      framesToAskFor = !LargeFrames.ask(ctx.pipeline());
    }
    if (msg instanceof ByteBuf bytes) {
      frames.inbound(bytes);
    } else {
      frames.lose();
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    int wanted = frames.wantedMark();
    if (wanted != mark) {
      setMark(ctx.channel(), wanted);
    }
    ctx.fireChannelReadComplete();
  }

  private void setMark(Channel channel, int wanted) {
    try {
      if (channel.isOpen() && channel.config().setOption(SO_RCVLOWAT, wanted)) {
        mark = wanted;
        return;
      }
    } catch (ChannelException e) {
      // the socket refused the option: below, every segment wakes the reader as usual
    }
    frames.lose();
  }
}
