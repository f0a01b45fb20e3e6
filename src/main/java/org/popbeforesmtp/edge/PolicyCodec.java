package org.popbeforesmtp.edge;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Postfix SMTP access policy delegation (SMTPD_POLICY_README): a request is {@code name=value}
 * lines ended by an empty line; the reply is {@code action=...} and an empty line; a connection
 * carries many requests. LF and CRLF line ends are both accepted. Unknown attribute names are kept
 * (and ignored by the decision), so newer Postfix versions work. A request that is too long, has a
 * line that is not {@code name=value}, or lacks {@code request=smtpd_access_policy} fails decoding:
 * the server then closes the connection without a reply, as the protocol asks.
 */
public final class PolicyCodec extends ByteToMessageDecoder {
  /** Largest request accepted (Postfix sends about 1 KiB; certificates make it larger). */
  public static final int MAX_REQUEST_BYTES = 32 * 1024;

  private Map<String, String> attributes = new HashMap<>();
  private int requestBytes;

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    while (true) {
      int lf = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
      if (lf < 0) {
        if (requestBytes + in.readableBytes() > MAX_REQUEST_BYTES) {
          throw new TooLongFrameException(
              "policy request longer than " + MAX_REQUEST_BYTES + " bytes");
        }
        return;
      }
      int length = lf - in.readerIndex();
      requestBytes += length + 1;
      if (requestBytes > MAX_REQUEST_BYTES) {
        throw new TooLongFrameException(
            "policy request longer than " + MAX_REQUEST_BYTES + " bytes");
      }
      String line = in.toString(in.readerIndex(), length, StandardCharsets.UTF_8);
      in.readerIndex(lf + 1);
      if (line.endsWith("\r")) {
        line = line.substring(0, line.length() - 1);
      }
      if (line.isEmpty()) {
        Map<String, String> request = attributes;
        attributes = new HashMap<>();
        requestBytes = 0;
        if (!"smtpd_access_policy".equals(request.get("request"))) {
          throw new CorruptedFrameException(
              "policy request without request=smtpd_access_policy: " + request.keySet());
        }
        out.add(request);
        continue;
      }
      int eq = line.indexOf('=');
      if (eq <= 0) {
        throw new CorruptedFrameException("policy line is not name=value: " + abbreviate(line));
      }
      attributes.put(line.substring(0, eq), line.substring(eq + 1));
    }
  }

  /** The reply to one request: {@code action=<action>} and the empty line. */
  public static String reply(String action) {
    return "action=" + action + "\n\n";
  }

  static String abbreviate(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "..." : s;
  }
}
