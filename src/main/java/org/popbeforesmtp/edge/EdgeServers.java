package org.popbeforesmtp.edge;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Postfix policy and socketmap servers on Netty's non-blocking transport, so thousands of idle
 * smtpd connections cost little. A bad request never crashes the server: the policy connection is
 * closed without a reply (as the protocol asks), the socketmap one gets {@code PERM} and is closed;
 * the accept loop lives on; nothing is ever granted on an error path.
 */
public final class EdgeServers implements AutoCloseable {

  private final EventLoopGroup group;
  private final Channel policy;
  private final Channel socketmap;

  private EdgeServers(EventLoopGroup group, Channel policy, Channel socketmap) {
    this.group = group;
    this.policy = policy;
    this.socketmap = socketmap;
  }

  /** Binds both servers (port 0 picks a free port; see {@link #policyPort()}). */
  public static EdgeServers start(
      EdgeProtocols protocols, String bind, int policyPort, int socketmapPort)
      throws InterruptedException {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    try {
      EdgeProtocols.Meters policyMeters = protocols.meters("policy");
      EdgeProtocols.Meters socketmapMeters = protocols.meters("socketmap");
      long idle = protocols.idleTimeout().toMillis();
      Channel policy =
          bootstrap(
                  group,
                  ch ->
                      ch.pipeline()
                          .addLast(new IdleStateHandler(idle, 0, 0, TimeUnit.MILLISECONDS))
                          .addLast(new PolicyCodec())
                          .addLast(new PolicyHandler(protocols, policyMeters)))
              .bind(new InetSocketAddress(bind, policyPort))
              .sync()
              .channel();
      Channel socketmap =
          bootstrap(
                  group,
                  ch ->
                      ch.pipeline()
                          .addLast(new IdleStateHandler(idle, 0, 0, TimeUnit.MILLISECONDS))
                          .addLast(new NetstringCodec())
                          .addLast(new SocketmapHandler(protocols, socketmapMeters)))
              .bind(new InetSocketAddress(bind, socketmapPort))
              .sync()
              .channel();
      return new EdgeServers(group, policy, socketmap);
    } catch (InterruptedException | RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  private interface Pipeline {
    void init(SocketChannel ch);
  }

  private static ServerBootstrap bootstrap(EventLoopGroup group, Pipeline pipeline) {
    return new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(
            new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel ch) {
                pipeline.init(ch);
              }
            });
  }

  public int policyPort() {
    return ((InetSocketAddress) policy.localAddress()).getPort();
  }

  public int socketmapPort() {
    return ((InetSocketAddress) socketmap.localAddress()).getPort();
  }

  @Override
  public void close() {
    policy.close().syncUninterruptibly();
    socketmap.close().syncUninterruptibly();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  static final class PolicyHandler extends SimpleChannelInboundHandler<Map<String, String>> {
    private final EdgeProtocols protocols;
    private final EdgeProtocols.Meters meters;

    PolicyHandler(EdgeProtocols protocols, EdgeProtocols.Meters meters) {
      this.protocols = protocols;
      this.meters = meters;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Map<String, String> request) {
      ctx.writeAndFlush(
          Unpooled.copiedBuffer(protocols.policyReply(request, meters), StandardCharsets.US_ASCII));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof IdleStateEvent) {
        ctx.close();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (ctx.channel().isOpen()) {
        meters.malformed(ctx.channel().remoteAddress(), cause.getMessage() + "; closing, no reply");
        ctx.close();
      }
    }
  }

  static final class SocketmapHandler extends SimpleChannelInboundHandler<String> {
    private static final AttributeKey<Boolean> REFUSED = AttributeKey.valueOf("refused");
    private final EdgeProtocols protocols;
    private final EdgeProtocols.Meters meters;

    SocketmapHandler(EdgeProtocols protocols, EdgeProtocols.Meters meters) {
      this.protocols = protocols;
      this.meters = meters;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, String request) {
      ctx.writeAndFlush(NetstringCodec.encode(protocols.socketmapReply(request, meters)));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof IdleStateEvent) {
        ctx.close();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (!ctx.channel().isOpen() || ctx.channel().attr(REFUSED).getAndSet(Boolean.TRUE) != null) {
        return; // the decoder failing again on what it holds as the connection closes
      }
      String reason = cause.getMessage() == null ? "malformed request" : cause.getMessage();
      meters.malformed(ctx.channel().remoteAddress(), reason);
      ctx.writeAndFlush(NetstringCodec.encode("PERM " + reason.replace(',', ';')))
          .addListener(ChannelFutureListener.CLOSE);
    }
  }
}
