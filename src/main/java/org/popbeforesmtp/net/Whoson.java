package org.popbeforesmtp.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * The whoson ("WHO iS ONline") wire protocol, as whoson's C library and gowhoson speak it, over TCP
 * and UDP on one port. A request is one line {@code VERB ADDRESS [ARGS]} ended by an empty line
 * ({@code QUERY 192.0.2.1\r\n\r\n}; a UDP datagram holds one request); the reply is one line ended
 * by an empty line, its first character the result: {@code +} positive, {@code -} negative, {@code
 * *} a bad request. A TCP connection carries many requests; a line longer than {@value
 * #MAX_REQUEST_BYTES} bytes, or a second line before the empty one, gets {@code *} and the
 * connection is closed. A client that ends its request and shuts down its side (Exim's {@code
 * readsocket}) gets its answer before the close. What a verb means is the {@link Answerer}'s: the
 * edge answers {@code QUERY}, ingest takes {@code LOGIN} and {@code LOGOUT}.
 */
public final class Whoson {
  /** Longest request line accepted (a verb, an address and a user name). */
  public static final int MAX_REQUEST_BYTES = 1024;

  private Whoson() {}

  /**
   * One request: its verb in upper case, the words after it, and who sent it (null when the
   * transport has no IP address).
   */
  public record Request(String verb, List<String> args, InetSocketAddress client) {
    /** The address argument (the first after the verb), or null. */
    public String address() {
      return args.isEmpty() ? null : args.get(0);
    }
  }

  /** What a server does with requests; both methods run on the connection's event loop. */
  public interface Answerer {
    /** The reply line (starting with +, - or *) to one request. */
    String answer(Request request);

    /** A request refused as malformed (counted and logged by the server). */
    void malformed(Object client, String reason);
  }

  /**
   * Binds the TCP server (under {@code limits}) and the UDP server on {@code address} (port 0: a
   * free port, UDP on the same).
   */
  public static List<Channel> bind(
      EventLoopGroup group,
      InetSocketAddress address,
      Listeners.Limits limits,
      Listeners.Connections connections,
      Answerer answerer)
      throws InterruptedException {
    Channel tcp =
        Listeners.tcp(
            group,
            address,
            limits,
            connections,
            ch -> {
              ch.config().setAllowHalfClosure(true);
              ch.pipeline().addLast(new Codec()).addLast(new TcpHandler(answerer));
            });
    try {
      Channel udp =
          Listeners.udp(
              group,
              new InetSocketAddress(address.getAddress(), Listeners.port(tcp)),
              new UdpHandler(answerer));
      return List.of(tcp, udp);
    } catch (InterruptedException | RuntimeException e) {
      tcp.close();
      throw e;
    }
  }

  /** Parses a request line (never null; an empty verb for a blank line). */
  public static Request parse(String line, InetSocketAddress client) {
    String[] words = line.strip().split("[ \t]+");
    return new Request(
        words[0].toUpperCase(Locale.ROOT), List.of(words).subList(1, words.length), client);
  }

  /** One reply on the wire: the line and the empty line, CRLF each. */
  public static ByteBuf encode(String reply) {
    return Unpooled.copiedBuffer(reply + "\r\n\r\n", StandardCharsets.UTF_8);
  }

  /** {@code s} with control characters replaced, fit for a reply line. */
  public static String printable(String s) {
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints().forEach(c -> b.appendCodePoint(c < 0x20 || c == 0x7f ? '?' : c));
    return b.toString();
  }

  /** The reply to a verb this server does not take. */
  public static String unknownVerb(Request request) {
    String verb = request.verb();
    return "*unknown command '"
        + printable(verb.length() > 40 ? verb.substring(0, 40) + "..." : verb)
        + "'";
  }

  /**
   * TCP framing: skips empty lines between requests, emits a request line once its empty line (or
   * the end of the client's input) arrives. LF and CRLF line ends are both accepted.
   */
  public static final class Codec extends ByteToMessageDecoder {
    private String pending;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
      while (true) {
        int lf = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
        int length = lf < 0 ? in.readableBytes() : lf - in.readerIndex();
        if (length > MAX_REQUEST_BYTES) {
          throw new TooLongFrameException(
              "whoson request line longer than " + MAX_REQUEST_BYTES + " bytes");
        }
        if (lf < 0) {
          return;
        }
        String line = in.toString(in.readerIndex(), length, StandardCharsets.UTF_8);
        in.readerIndex(lf + 1);
        if (line.isBlank()) {
          if (pending != null) {
            out.add(pending);
            pending = null;
          }
        } else if (pending == null) {
          pending = line.strip();
        } else {
          throw new CorruptedFrameException(
              "whoson request has a second line before its empty line");
        }
      }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
      if (in.isReadable()) {
        decode(ctx, in, out);
        if (in.isReadable() && pending == null) {
          // a last request line without its line end
          String line = in.readCharSequence(in.readableBytes(), StandardCharsets.UTF_8).toString();
          if (!line.isBlank()) {
            pending = line.strip();
          }
        }
      }
      if (pending != null) {
        out.add(pending);
        pending = null;
      }
    }
  }

  /** Answers each decoded request; refuses a malformed one with {@code *} and closes. */
  public static final class TcpHandler extends SimpleChannelInboundHandler<String> {
    private static final AttributeKey<Boolean> REFUSED = AttributeKey.valueOf("whoson-refused");
    private final Answerer answerer;

    public TcpHandler(Answerer answerer) {
      this.answerer = answerer;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, String line) {
      InetSocketAddress client =
          ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a : null;
      ctx.writeAndFlush(encode(answerer.answer(parse(line, client))));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        // the client has sent all it will: what it sent is answered (above), then the close
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      } else {
        ctx.fireUserEventTriggered(evt);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (!ctx.channel().isOpen() || ctx.channel().attr(REFUSED).getAndSet(Boolean.TRUE) != null) {
        return; // the decoder failing again on what it holds as the connection closes
      }
      String reason = cause.getMessage() == null ? "malformed request" : cause.getMessage();
      answerer.malformed(ctx.channel().remoteAddress(), reason);
      ctx.writeAndFlush(encode("*" + printable(reason))).addListener(ChannelFutureListener.CLOSE);
    }
  }

  /** One request per datagram, one reply datagram to its sender. */
  public static final class UdpHandler extends SimpleChannelInboundHandler<DatagramPacket> {
    private final Answerer answerer;

    public UdpHandler(Answerer answerer) {
      this.answerer = answerer;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      ctx.writeAndFlush(
          new DatagramPacket(encode(answer(packet.content(), packet.sender())), packet.sender()));
    }

    String answer(ByteBuf content, InetSocketAddress sender) {
      if (content.readableBytes() > MAX_REQUEST_BYTES + 4) {
        answerer.malformed(sender, "datagram of " + content.readableBytes() + " bytes");
        return "*whoson request longer than " + MAX_REQUEST_BYTES + " bytes";
      }
      String request = null;
      for (String line : content.toString(StandardCharsets.UTF_8).split("\r?\n")) {
        if (line.isBlank()) {
          continue;
        }
        if (request != null) {
          answerer.malformed(sender, "datagram with more than one request line");
          return "*one request per datagram";
        }
        request = line;
      }
      if (request == null) {
        answerer.malformed(sender, "empty datagram");
        return "*empty request";
      }
      return answerer.answer(parse(request, sender));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // a datagram socket lives on whatever one packet did
      answerer.malformed("udp", String.valueOf(cause.getMessage()));
    }
  }
}
