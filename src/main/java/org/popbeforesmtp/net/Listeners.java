package org.popbeforesmtp.net;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** Binding Netty listeners the one way our protocol servers do (edge and ingest). */
public final class Listeners {
  private Listeners() {}

  /**
   * Binds a TCP server whose connections are closed after {@code idle} without a byte, then get the
   * handlers {@code pipeline} adds.
   */
  public static Channel tcp(
      EventLoopGroup group,
      InetSocketAddress address,
      Duration idle,
      Consumer<SocketChannel> pipeline)
      throws InterruptedException {
    return new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(
            new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel ch) {
                ch.pipeline()
                    .addLast(new IdleStateHandler(idle.toMillis(), 0, 0, TimeUnit.MILLISECONDS))
                    .addLast(new CloseWhenIdle());
                pipeline.accept(ch);
              }
            })
        .bind(address)
        .sync()
        .channel();
  }

  /** Binds a UDP socket whose datagrams go to {@code handler}. */
  public static Channel udp(EventLoopGroup group, InetSocketAddress address, ChannelHandler handler)
      throws InterruptedException {
    return new Bootstrap()
        .group(group)
        .channel(NioDatagramChannel.class)
        .handler(handler)
        .bind(address)
        .sync()
        .channel();
  }

  /** The port a bound listener got (port 0 asks for any free one). */
  public static int port(Channel bound) {
    return ((InetSocketAddress) bound.localAddress()).getPort();
  }

  /** Closes a connection that sent nothing for the idle timeout. */
  private static final class CloseWhenIdle extends ChannelInboundHandlerAdapter {
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof IdleStateEvent) {
        ctx.close();
      } else {
        ctx.fireUserEventTriggered(evt);
      }
    }
  }
}
