package org.popbeforesmtp.edge;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Netstrings ({@code <length>:<bytes>,}) as Postfix's socketmap protocol (socketmap_table(5))
 * frames them. Decodes each request payload to a String; a length that is not a decimal number, a
 * missing {@code ,} or a payload above {@link #MAX_PAYLOAD} fails decoding (the server answers
 * {@code PERM} and closes).
 */
public final class NetstringCodec extends ByteToMessageDecoder {
  /** Largest request payload accepted ({@code <name> <key>} is short). */
  public static final int MAX_PAYLOAD = 4096;

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    while (in.isReadable()) {
      int colon =
          in.indexOf(
              in.readerIndex(), Math.min(in.writerIndex(), in.readerIndex() + 6), (byte) ':');
      if (colon < 0) {
        if (in.readableBytes() >= 6) {
          throw new CorruptedFrameException("netstring length is not a number of at most 5 digits");
        }
        checkDigits(in, in.readerIndex(), in.writerIndex());
        return;
      }
      checkDigits(in, in.readerIndex(), colon);
      if (colon == in.readerIndex()) {
        throw new CorruptedFrameException("netstring without a length");
      }
      int length =
          Integer.parseInt(
              in.toString(in.readerIndex(), colon - in.readerIndex(), StandardCharsets.US_ASCII));
      if (length > MAX_PAYLOAD) {
        throw new TooLongFrameException("netstring of " + length + " bytes exceeds " + MAX_PAYLOAD);
      }
      int end = colon + 1 + length;
      if (in.writerIndex() < end + 1) {
        return;
      }
      if (in.getByte(end) != ',') {
        throw new CorruptedFrameException("netstring not terminated by ','");
      }
      out.add(in.toString(colon + 1, length, StandardCharsets.UTF_8));
      in.readerIndex(end + 1);
    }
  }

  private static void checkDigits(ByteBuf in, int from, int to) {
    for (int i = from; i < to; i++) {
      byte b = in.getByte(i);
      if (b < '0' || b > '9') {
        throw new CorruptedFrameException("netstring length contains '" + (char) b + "'");
      }
    }
  }

  /** One netstring with {@code payload}. */
  public static ByteBuf encode(String payload) {
    byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
    return Unpooled.wrappedBuffer(
        (bytes.length + ":").getBytes(StandardCharsets.US_ASCII), bytes, new byte[] {','});
  }
}
