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
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binding Netty listeners the one way our protocol servers do (edge and ingest), with the limits
 * that keep a server up under abuse: a cap on open connections (more are closed at once, with a log
 * line every 10 s while it lasts), an idle timeout, and a request deadline (a request whose first
 * byte came more than {@code requestTimeout} ago without completing closes the connection:
 * slowloris).
 */
public final class Listeners {
  private static final Logger LOG = LoggerFactory.getLogger(Listeners.class);
  private static final long REFUSAL_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

  private Listeners() {}

  /**
   * What one listener allows.
   *
   * @param name the protocol, for log lines
   * @param idle a connection that sends nothing this long is closed
   * @param requestTimeout a request must complete this long after its first byte
   * @param maxConnections connections open at once; more are closed as they arrive
   */
  public record Limits(String name, Duration idle, Duration requestTimeout, int maxConnections) {
    public Limits {
      if (maxConnections < 1) {
        throw new IllegalArgumentException(
            "max.connections " + maxConnections + " must be at least 1");
      }
    }
  }

  /** A listener's connection counts (for metrics). */
  public static final class Connections {
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong timedOut = new AtomicLong();
    private long refusedLogged;
    private long lastLog;

    public int open() {
      return open.get();
    }

    /** Connections closed at once because the cap was reached. */
    public long refused() {
      return refused.get();
    }

    /** Connections closed because a request did not complete in time. */
    public long timedOut() {
      return timedOut.get();
    }

    /**
     * Counts a new connection in, or refuses it (counted, and logged at most every 10 s) when
     * {@code limits.maxConnections()} are open: the caller then closes it at once.
     *
     * @return whether it may stay open; if so, {@link #release} must follow when it closes
     */
    public boolean admit(Limits limits) {
      if (open.incrementAndGet() > limits.maxConnections()) {
        open.decrementAndGet();
        refused.incrementAndGet();
        logRefusal(limits);
        return false;
      }
      return true;
    }

    /** An admitted connection closed. */
    public void release() {
      open.decrementAndGet();
    }

    /** Counts a connection closed because a request did not complete in time. */
    public void countTimeout() {
      timedOut.incrementAndGet();
    }

    private synchronized void logRefusal(Limits limits) {
      long now = System.nanoTime();
      long total = refused.get();
      if (refusedLogged == 0) {
        LOG.warn(
            "{}: max.connections ({}) are open; new connections are closed at once until some"
                + " close (a line every 10 s while it lasts)",
            limits.name(),
            limits.maxConnections());
      } else if (now - lastLog >= REFUSAL_LOG_INTERVAL_NANOS) {
        LOG.warn(
            "{}: still at max.connections ({}); {} new connections closed at once in the last {}"
                + " s",
            limits.name(),
            limits.maxConnections(),
            total - refusedLogged,
            (now - lastLog) / 1_000_000_000L);
      } else {
        return;
      }
      refusedLogged = total;
      lastLog = now;
    }
  }

  /**
   * Binds a TCP server under {@code limits}; each connection gets the handlers {@code pipeline}
   * adds (a decoder, then the protocol's handler).
   */
  public static Channel tcp(
      EventLoopGroup group,
      InetSocketAddress address,
      Limits limits,
      Connections connections,
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
                if (!connections.admit(limits)) {
                  ch.close();
                  return;
                }
                ch.closeFuture().addListener(f -> connections.release());
                ch.pipeline()
                    .addLast(
                        new IdleStateHandler(limits.idle().toMillis(), 0, 0, TimeUnit.MILLISECONDS))
                    .addLast(new CloseWhenIdle())
                    .addLast(new RequestStarted(limits.requestTimeout(), connections));
                pipeline.accept(ch);
                // the deadline ends when the decoder hands on a whole request
                for (Map.Entry<String, ChannelHandler> e : ch.pipeline()) {
                  if (e.getValue() instanceof ByteToMessageDecoder) {
                    ch.pipeline().addAfter(e.getKey(), null, new RequestDone());
                    break;
                  }
                }
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

  private static final AttributeKey<ScheduledFuture<?>> DEADLINE =
      AttributeKey.valueOf("request-deadline");

  /** Before the decoder: bytes of a new request start its deadline. */
  private static final class RequestStarted extends ChannelInboundHandlerAdapter {
    private final long timeoutMillis;
    private final Connections connections;

    RequestStarted(Duration timeout, Connections connections) {
      this.timeoutMillis = timeout.toMillis();
      this.connections = connections;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (ctx.channel().attr(DEADLINE).get() == null) {
        ctx.channel()
            .attr(DEADLINE)
            .set(
                ctx.executor()
                    .schedule(
                        () -> {
                          connections.countTimeout();
                          ctx.close();
                        },
                        timeoutMillis,
                        TimeUnit.MILLISECONDS));
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      ScheduledFuture<?> deadline = ctx.channel().attr(DEADLINE).getAndSet(null);
      if (deadline != null) {
        deadline.cancel(false);
      }
      ctx.fireChannelInactive();
    }
  }

  /** After the decoder: a whole request arrived in time. */
  private static final class RequestDone extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ScheduledFuture<?> deadline = ctx.channel().attr(DEADLINE).getAndSet(null);
      if (deadline != null) {
        deadline.cancel(false);
      }
      ctx.fireChannelRead(msg);
    }
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
