package org.popbeforesmtp.edge;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.util.AttributeKey;
import java.util.List;
import java.util.Map;
import org.popbeforesmtp.text.Setting;

/**
 * The socketmap protocol (netstrings; Postfix's {@code socketmap:} table and sendmail's {@code
 * socket} map class): {@code <name> <key>} answers {@code OK <socketmap.value>} for a granted
 * address, {@code NOTFOUND } otherwise ({@code TEMP} while loading, if asked); a malformed request
 * gets {@code PERM <reason>} and the connection is closed.
 */
public final class SocketmapProtocol implements EdgeProtocol {
  public static final String NAME = "socketmap";
  static final Setting PORT =
      Setting.of(
          "socketmap.port", "10041", "socketmap (Postfix `socketmap:`, sendmail `socket` map)");
  static final Setting VALUE =
      Setting.of("socketmap.value", "OK", "socketmap value for a granted client");
  static final Setting TEMP_WHEN_NOT_READY =
      Setting.of(
          "socketmap.temp.when.not.ready",
          "false",
          "answer `TEMP` (not `NOTFOUND`) while the cache loads");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String title() {
    return "socketmap (Postfix, sendmail)";
  }

  @Override
  public Setting port() {
    return PORT;
  }

  @Override
  public List<Setting> options() {
    return List.of(VALUE, TEMP_WHEN_NOT_READY);
  }

  @Override
  public Server configure(Map<String, String> settings) {
    int port = EdgeProtocol.port(settings, PORT);
    String value = settings.get(VALUE.name());
    if (value == null || value.isBlank() || value.chars().anyMatch(c -> c < 0x20)) {
      throw new IllegalArgumentException(
          "socketmap.value '" + value + "' must be non-empty text without control characters");
    }
    String temp = settings.get(TEMP_WHEN_NOT_READY.name());
    if (!"true".equals(temp) && !"false".equals(temp)) {
      throw new IllegalArgumentException(
          "socketmap.temp.when.not.ready '" + temp + "' must be true or false");
    }
    boolean tempWhenNotReady = Boolean.parseBoolean(temp);
    return EdgeProtocol.tcp(
        this,
        port,
        meters -> List.of(new NetstringCodec(), new Handler(value, tempWhenNotReady, meters)));
  }

  static final class Handler extends SimpleChannelInboundHandler<String> {
    private static final AttributeKey<Boolean> REFUSED = AttributeKey.valueOf("refused");
    private final String value;
    private final boolean tempWhenNotReady;
    private final EdgeLookups.Meters meters;

    Handler(String value, boolean tempWhenNotReady, EdgeLookups.Meters meters) {
      this.value = value;
      this.tempWhenNotReady = tempWhenNotReady;
      this.meters = meters;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, String request) {
      ctx.writeAndFlush(NetstringCodec.encode(reply(request)));
    }

    /** The reply payload for one request {@code <name> <key>}. */
    String reply(String request) {
      int space = request.indexOf(' ');
      if (space <= 0 || space == request.length() - 1) {
        return "PERM request is not '<name> <key>'";
      }
      GrantLookup.Answer verdict = meters.verdict(request.substring(space + 1));
      return switch (verdict.status()) {
        case GRANTED -> "OK " + value;
        case NOT_READY -> tempWhenNotReady ? "TEMP grant cache still loading" : "NOTFOUND ";
        // Postfix asks for the client host name first: anything that is no address is not found
        case INVALID, NOT_GRANTED -> "NOTFOUND ";
      };
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
