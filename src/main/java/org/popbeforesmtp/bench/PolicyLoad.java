package org.popbeforesmtp.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.popbeforesmtp.edge.PolicyProtocol;
import org.popbeforesmtp.edge.SocketmapProtocol;
import org.popbeforesmtp.edge.WhosonProtocol;

/**
 * A closed-loop load generator for the edge's policy, socketmap and whoson (TCP) servers: K
 * persistent connections, each sending its next request when the answer to the last one arrived (as
 * smtpd processes do), on one Netty event loop. Every answer is checked against the expected
 * verdict.
 */
final class PolicyLoad {
  /** The protocols loaded, each by its edge protocol name. */
  enum Protocol {
    POLICY(PolicyProtocol.NAME),
    SOCKETMAP(SocketmapProtocol.NAME),
    WHOSON(WhosonProtocol.NAME);

    final String edgeName;

    Protocol(String edgeName) {
      this.edgeName = edgeName;
    }
  }

  record Measured(
      double requestsPerSecond,
      Stats.Percentiles latencies,
      long errors,
      long wrongAnswers,
      double generatorCpu) {}

  private PolicyLoad() {}

  /** State shared by the connections; touched only on the client's one event-loop thread. */
  private static final class Run {
    final Protocol protocol;
    final int grants;
    final SplittableRandom random = new SplittableRandom(1);
    long[] latencies = new long[1 << 20];
    int count;
    long errors;
    long wrong;
    volatile boolean running = true;
    volatile boolean measuring;

    Run(Protocol protocol, int grants) {
      this.protocol = protocol;
      this.grants = grants;
    }

    void record(long nanos) {
      if (!measuring) {
        return;
      }
      if (count == latencies.length) {
        latencies = Arrays.copyOf(latencies, count * 2);
      }
      latencies[count++] = nanos;
    }
  }

  private static final class Connection extends ChannelInboundHandlerAdapter {
    private final Run run;
    private final ByteBuf reply = Unpooled.buffer(64);
    private long sentAt;
    private boolean expectGranted;

    Connection(Run run) {
      this.run = run;
    }

    void send(Channel ch) {
      int i = run.random.nextInt(run.grants * 2);
      expectGranted = i < run.grants;
      String ip = Bench.address(i);
      String request =
          switch (run.protocol) {
            case POLICY ->
                "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
                    + "client_address="
                    + ip
                    + "\nclient_name=unknown\nhelo_name=client.example\nsender=a@example.org\n"
                    + "recipient=b@example.net\nrecipient_count=0\nsize=0\n\n";
            case SOCKETMAP -> {
              String body = "grants " + ip;
              yield body.length() + ":" + body + ",";
            }
            case WHOSON -> "QUERY " + ip + "\r\n\r\n";
          };
      sentAt = System.nanoTime();
      ch.writeAndFlush(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf in = (ByteBuf) msg;
      reply.writeBytes(in);
      in.release();
      String answer = complete();
      if (answer == null) {
        return;
      }
      run.record(System.nanoTime() - sentAt);
      boolean granted =
          switch (run.protocol) {
            case POLICY -> answer.equals("action=OK");
            case SOCKETMAP -> answer.startsWith("OK");
            case WHOSON -> answer.startsWith("+");
          };
      if (granted != expectGranted) {
        run.wrong++;
      }
      if (run.running) {
        send(ctx.channel());
      }
    }

    /** The reply when it is complete (and consumed), else null. */
    private String complete() {
      String text = reply.toString(StandardCharsets.US_ASCII);
      if (run.protocol != Protocol.SOCKETMAP) {
        int end = text.indexOf(run.protocol == Protocol.POLICY ? "\n\n" : "\r\n\r\n");
        if (end < 0) {
          return null;
        }
        reply.clear();
        return text.substring(0, end);
      }
      int colon = text.indexOf(':');
      if (colon < 0) {
        return null;
      }
      int len = Integer.parseInt(text.substring(0, colon));
      if (text.length() < colon + 1 + len + 1) {
        return null;
      }
      reply.clear();
      return text.substring(colon + 1, colon + 1 + len);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      run.errors++;
      ctx.close();
    }
  }

  static Measured run(Protocol protocol, int port, int connections, Duration duration, int grants)
      throws InterruptedException {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    Run run = new Run(protocol, grants);
    List<Channel> channels = new ArrayList<>();
    List<Connection> handlers = new ArrayList<>();
    long[] loopThread = new long[1];
    try {
      group.submit(() -> loopThread[0] = Thread.currentThread().getId()).sync();
      for (int i = 0; i < connections; i++) {
        Connection handler = new Connection(run);
        Bootstrap b =
            new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(
                    new ChannelInitializer<SocketChannel>() {
                      @Override
                      protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(handler);
                      }
                    });
        channels.add(b.connect("127.0.0.1", port).sync().channel());
        handlers.add(handler);
      }
      for (int i = 0; i < connections; i++) {
        Channel ch = channels.get(i);
        Connection h = handlers.get(i);
        ch.eventLoop().execute(() -> h.send(ch));
      }
      Thread.sleep(Math.min(1000, duration.toMillis() / 4)); // warm-up
      var mx = ManagementFactory.getThreadMXBean();
      long cpu0 = mx.getThreadCpuTime(loopThread[0]);
      int[] start = new int[1];
      group.submit(() -> run.measuring = true).sync();
      long t0 = System.nanoTime();
      Thread.sleep(duration.toMillis());
      group
          .submit(
              () -> {
                run.measuring = false;
                start[0] = run.count;
              })
          .sync();
      long t1 = System.nanoTime();
      double cpu = (mx.getThreadCpuTime(loopThread[0]) - cpu0) / (double) (t1 - t0);
      run.running = false;
      Thread.sleep(200);
      Stats.Percentiles pc = Stats.percentiles(run.latencies, start[0]);
      return new Measured(start[0] / ((t1 - t0) / 1e9), pc, run.errors, run.wrong, cpu);
    } finally {
      for (Channel ch : channels) {
        ch.close();
      }
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }
}
