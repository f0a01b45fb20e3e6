package org.popbeforesmtp.edge;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.popbeforesmtp.text.Setting;

/**
 * Postfix SMTP access policy delegation ({@link PolicyCodec}): {@code action=<ok.action>} for a
 * granted {@code client_address}, {@code action=DUNNO} otherwise; a malformed request closes the
 * connection without a reply, as the protocol asks.
 */
public final class PolicyProtocol implements EdgeProtocol {
  public static final String NAME = "policy";
  static final Setting PORT =
      Setting.of("policy.port", "10040", "Postfix policy delegation (`0` = any free port)");
  static final Setting OK_ACTION =
      Setting.of("ok.action", "OK", "policy action for a granted client");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String title() {
    return "Postfix policy server";
  }

  @Override
  public Setting port() {
    return PORT;
  }

  @Override
  public List<Setting> options() {
    return List.of(OK_ACTION);
  }

  @Override
  public Server configure(Map<String, String> settings) {
    int port = EdgeProtocol.port(settings, PORT);
    String okAction = settings.get(OK_ACTION.name());
    if (okAction == null || !okAction.matches("[A-Za-z0-9 ._:-]+")) {
      throw new IllegalArgumentException(
          "ok.action '"
              + okAction
              + "' is not a Postfix action (e.g. OK, PERMIT, FILTER smtp:...)");
    }
    return EdgeProtocol.tcp(
        this, port, meters -> List.of(new PolicyCodec(), new Handler(okAction, meters)));
  }

  static final class Handler extends SimpleChannelInboundHandler<Map<String, String>> {
    private final String okAction;
    private final EdgeLookups.Meters meters;

    Handler(String okAction, EdgeLookups.Meters meters) {
      this.okAction = okAction;
      this.meters = meters;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Map<String, String> request) {
      ctx.writeAndFlush(Unpooled.copiedBuffer(reply(request), StandardCharsets.US_ASCII));
    }

    /** The reply (with its terminating empty line) for one decoded request. */
    String reply(Map<String, String> request) {
      String address = request.get("client_address");
      if (address == null || address.isEmpty()) {
        return PolicyCodec.reply("DUNNO");
      }
      return PolicyCodec.reply(meters.verdict(address).granted() ? okAction : "DUNNO");
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (ctx.channel().isOpen()) {
        meters.malformed(ctx.channel().remoteAddress(), cause.getMessage() + "; closing, no reply");
        ctx.close();
      }
    }
  }
}
