package org.popbeforesmtp.edge;

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
import java.util.Map;

/**
 * whoson ("WHO iS ONline"), read-only, over TCP and UDP on the same port. A request is one line
 * {@code VERB ADDRESS [ARGS]} ended by an empty line ({@code QUERY 192.0.2.1\r\n\r\n}; a UDP
 * datagram holds one request); the reply is one line ended by an empty line, its first character
 * the result: {@code +} positive ({@code +<user>} for a QUERY whose address has a live grant),
 * {@code -} negative (no live grant), {@code *} a bad request. {@code LOGIN} and {@code LOGOUT} are
 * refused with {@code *}: logins reach the edge only through Kafka. A TCP connection carries many
 * requests; a line longer than {@value #MAX_REQUEST_BYTES} bytes, or a second line before the empty
 * one, gets {@code *} and the connection is closed. A client that ends its request line and then
 * shuts down its side (Exim's {@code readsocket}) gets its answer before the close.
 */
public final class WhosonProtocol implements EdgeProtocol {
  public static final String NAME = "whoson";
  static final Setting PORT =
      new Setting("whoson.port", "9876", "whoson server port (TCP and UDP).");

  /** Longest request line accepted (whoson requests are a verb, an address and a user name). */
  public static final int MAX_REQUEST_BYTES = 1024;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String title() {
    return "whoson (TCP and UDP; Exim)";
  }

  @Override
  public Setting port() {
    return PORT;
  }

  @Override
  public boolean needsUsers() {
    return true;
  }

  @Override
  public Server configure(Map<String, String> settings) {
    int port = EdgeProtocol.port(settings, PORT);
    return new Server() {
      @Override
      public EdgeProtocol protocol() {
        return WhosonProtocol.this;
      }

      @Override
      public int port() {
        return port;
      }

      @Override
      public List<Channel> bind(
          EventLoopGroup group, InetSocketAddress address, EdgeLookups lookups)
          throws InterruptedException {
        EdgeLookups.Meters meters = lookups.meters(NAME);
        Channel tcp =
            EdgeServers.tcp(
                group,
                address,
                lookups.idleTimeout(),
                ch -> {
                  ch.config().setAllowHalfClosure(true);
                  ch.pipeline().addLast(new Codec()).addLast(new TcpHandler(meters));
                });
        // UDP on the TCP port (0 picks a free TCP port; UDP then takes the same number)
        int bound = ((InetSocketAddress) tcp.localAddress()).getPort();
        try {
          Channel udp =
              EdgeServers.udp(
                  group,
                  new InetSocketAddress(address.getAddress(), bound),
                  new UdpHandler(meters));
          return List.of(tcp, udp);
        } catch (InterruptedException | RuntimeException e) {
          tcp.close();
          throw e;
        }
      }
    };
  }

  /** The reply line (without its line ends) to one request line. */
  static String reply(String request, EdgeLookups.Meters meters) {
    String[] words = request.strip().split("[ \t]+");
    String verb = words[0].toUpperCase(Locale.ROOT);
    return switch (verb) {
      case "QUERY" -> {
        if (words.length < 2) {
          yield "*QUERY needs an address";
        }
        GrantLookup.Verdict verdict = meters.verdict(words[1]);
        yield switch (verdict.outcome()) {
          case GRANTED ->
              verdict.user() == null ? "-no live grant" : "+" + printable(verdict.user());
          case INVALID -> "*" + printable(verdict.detail());
          case NOT_READY, NOT_GRANTED -> "-" + verdict.detail();
        };
      }
      case "LOGIN", "LOGOUT" ->
          "*"
              + verb
              + " refused: this whoson server is read-only (logins reach it through"
              + " pop-before-smtp ingest)";
      default -> "*unknown command '" + printable(abbreviate(words[0])) + "'";
    };
  }

  /** One reply on the wire: the line and the empty line, CRLF each. */
  static ByteBuf encode(String reply) {
    return Unpooled.copiedBuffer(reply + "\r\n\r\n", StandardCharsets.UTF_8);
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints().forEach(c -> b.appendCodePoint(c < 0x20 || c == 0x7f ? '?' : c));
    return b.toString();
  }

  private static String abbreviate(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }

  /**
   * TCP framing: skips empty lines between requests, emits a request line once its empty line (or
   * the end of the client's input) arrives. LF and CRLF line ends are both accepted.
   */
  static final class Codec extends ByteToMessageDecoder {
    private String pending;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
      while (true) {
        int lf = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
        if (lf < 0) {
          if (in.readableBytes() > MAX_REQUEST_BYTES) {
            throw new TooLongFrameException(
                "whoson request line longer than " + MAX_REQUEST_BYTES + " bytes");
          }
          return;
        }
        int length = lf - in.readerIndex();
        if (length > MAX_REQUEST_BYTES) {
          throw new TooLongFrameException(
              "whoson request line longer than " + MAX_REQUEST_BYTES + " bytes");
        }
        String line = in.toString(in.readerIndex(), length, StandardCharsets.UTF_8);
        in.readerIndex(lf + 1);
        if (line.endsWith("\r")) {
          line = line.substring(0, line.length() - 1);
        }
        if (line.isBlank()) {
          if (pending != null) {
            out.add(pending);
            pending = null;
          }
        } else if (pending == null) {
          pending = line;
        } else {
          throw new CorruptedFrameException(
              "whoson request has a second line before its empty line: '" + abbreviate(line) + "'");
        }
      }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out)
        throws Exception {
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

  static final class TcpHandler extends SimpleChannelInboundHandler<String> {
    private static final AttributeKey<Boolean> REFUSED = AttributeKey.valueOf("whoson-refused");
    private final EdgeLookups.Meters meters;

    TcpHandler(EdgeLookups.Meters meters) {
      this.meters = meters;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, String request) {
      ctx.writeAndFlush(encode(reply(request, meters)));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        // the client has sent all it will: answer what was decoded (above), then close
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      } else {
        ctx.fireUserEventTriggered(evt);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (!ctx.channel().isOpen() || ctx.channel().attr(REFUSED).getAndSet(Boolean.TRUE) != null) {
        return;
      }
      String reason = cause.getMessage() == null ? "malformed request" : cause.getMessage();
      meters.malformed(ctx.channel().remoteAddress(), reason);
      ctx.writeAndFlush(encode("*" + printable(reason))).addListener(ChannelFutureListener.CLOSE);
    }
  }

  /** One request per datagram, one reply datagram to its sender. */
  static final class UdpHandler extends SimpleChannelInboundHandler<DatagramPacket> {
    private final EdgeLookups.Meters meters;

    UdpHandler(EdgeLookups.Meters meters) {
      this.meters = meters;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      ctx.writeAndFlush(new DatagramPacket(encode(answer(packet.content())), packet.sender()));
    }

    String answer(ByteBuf content) {
      if (content.readableBytes() > MAX_REQUEST_BYTES + 4) {
        meters.malformed("udp", "datagram of " + content.readableBytes() + " bytes");
        return "*whoson request longer than " + MAX_REQUEST_BYTES + " bytes";
      }
      String request = null;
      for (String line : content.toString(StandardCharsets.UTF_8).split("\r?\n")) {
        if (line.isBlank()) {
          continue;
        }
        if (request != null) {
          meters.malformed("udp", "datagram with more than one request line");
          return "*one request per datagram";
        }
        request = line;
      }
      if (request == null) {
        meters.malformed("udp", "empty datagram");
        return "*empty request";
      }
      return reply(request, meters);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // a datagram socket lives on whatever one packet did
      meters.malformed("udp", String.valueOf(cause.getMessage()));
    }
  }
}
