package org.popbeforesmtp.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.popbeforesmtp.net.Whoson;

/**
 * whoson over TCP and UDP with literal request and reply bytes: the request line and its empty line
 * in, {@code +user}, {@code -text} or {@code *text} and an empty line out (CRLF each), as whoson's
 * C library and gowhoson frame them.
 */
class WhosonProtocolTest {
  private final EdgeProtocolsTest.FakeLookup lookup = new EdgeProtocolsTest.FakeLookup();
  private final EdgeLookups.Meters meters =
      new EdgeLookups(
              lookup,
              Duration.ofMinutes(5),
              Duration.ofSeconds(10),
              4096,
              new SimpleMeterRegistry())
          .meters("whoson");

  private EmbeddedChannel tcp() {
    return new EmbeddedChannel(
        new Whoson.Codec(), new Whoson.TcpHandler(new WhosonProtocol.Answers(meters)));
  }

  private static ByteBuf bytes(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
  }

  private static String replies(EmbeddedChannel ch) {
    StringBuilder sb = new StringBuilder();
    Object out;
    while ((out = ch.readOutbound()) != null) {
      ByteBuf b = out instanceof DatagramPacket p ? p.content() : (ByteBuf) out;
      sb.append(b.toString(StandardCharsets.UTF_8));
      b.release();
    }
    return sb.toString();
  }

  @Test
  void shouldAnswerQueryWithTheGrantsUserOrMinus() {
    EmbeddedChannel ch = tcp();
    ch.writeInbound(bytes("QUERY 127.0.0.5\r\n\r\n"));
    assertThat(replies(ch)).isEqualTo("+alice\r\n\r\n");
    ch.writeInbound(bytes("QUERY 127.0.0.6\r\n\r\n"));
    assertThat(replies(ch)).isEqualTo("-no live grant\r\n\r\n");
    ch.writeInbound(bytes("query ::ffff:127.0.0.5\r\n\r\n"));
    assertThat(replies(ch))
        .as("verbs in any case, any spelling of the address")
        .isEqualTo("+alice\r\n\r\n");
    assertThat(ch.isOpen()).isTrue();
  }

  @Test
  void shouldCarryManyRequestsPerConnectionSplitOrPipelinedWithLfOrCrlf() {
    EmbeddedChannel ch = tcp();
    String stream = "QUERY 127.0.0.5\r\n\r\nQUERY 127.0.0.6\n\nQUERY 127.0.0.5\r\n\r\n";
    for (int i = 0; i < stream.length(); i += 3) {
      ch.writeInbound(bytes(stream.substring(i, Math.min(stream.length(), i + 3))));
    }
    assertThat(replies(ch)).isEqualTo("+alice\r\n\r\n-no live grant\r\n\r\n+alice\r\n\r\n");
    for (int i = 0; i < 1000; i++) {
      ch.writeInbound(bytes("QUERY 127.0.0." + (i % 2 == 0 ? 5 : 6) + "\r\n\r\n"));
    }
    String all = replies(ch);
    assertThat(all.split("\r\n\r\n")).hasSize(1000);
    assertThat(all.split("\\+alice", -1)).hasSize(501);
  }

  @Test
  void shouldRefuseLoginAndLogoutAndUnknownVerbsWithStar() {
    EmbeddedChannel ch = tcp();
    ch.writeInbound(bytes("LOGIN 127.0.0.6 mallory\r\n\r\n"));
    ch.writeInbound(bytes("LOGOUT 127.0.0.5\r\n\r\n"));
    ch.writeInbound(bytes("LIST\r\n\r\n"));
    ch.writeInbound(bytes("QUERY\r\n\r\n"));
    ch.writeInbound(bytes("QUERY not-an-ip\r\n\r\n"));
    String[] answers = replies(ch).split("\r\n\r\n");
    assertThat(answers).hasSize(5).allMatch(a -> a.startsWith("*"));
    assertThat(answers[0]).startsWith("*LOGIN refused: this whoson server is read-only");
    assertThat(answers[2]).isEqualTo("*unknown command 'LIST'");
    assertThat(answers[3]).isEqualTo("*QUERY needs an address");
    ch.writeInbound(bytes("QUERY 127.0.0.6\r\n\r\n"));
    assertThat(replies(ch))
        .as("a LOGIN did not grant anything and the connection lives on")
        .isEqualTo("-no live grant\r\n\r\n");
  }

  @Test
  void shouldAnswerStarAndCloseOnOversizeOrASecondLine() {
    EmbeddedChannel ch = tcp();
    ch.writeInbound(bytes("QUERY 127.0.0.5 " + "x".repeat(Whoson.MAX_REQUEST_BYTES)));
    assertThat(replies(ch)).startsWith("*whoson request line longer than 1024 bytes");
    assertThat(ch.isOpen()).isFalse();
    ch = tcp();
    ch.writeInbound(bytes("QUERY 127.0.0.5\r\nQUERY 127.0.0.5\r\n\r\n"));
    assertThat(replies(ch)).startsWith("*whoson request has a second line");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void shouldAnswerAClientThatShutsDownItsSideThenClose() {
    // Exim's readsocket sends its request and shuts down its writing side
    EmbeddedChannel ch = tcp();
    ch.writeInbound(bytes("QUERY 127.0.0.5\r\n\r\n"));
    ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
    assertThat(replies(ch)).isEqualTo("+alice\r\n\r\n");
    assertThat(ch.isOpen()).isFalse();
    // and one that forgot the empty line still gets its answer
    ch = tcp();
    ch.writeInbound(bytes("QUERY 127.0.0.5\n"));
    ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
    assertThat(replies(ch)).isEqualTo("+alice\r\n\r\n");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void shouldNeverAnswerPlusOnAnErrorPath() {
    EmbeddedChannel ch = tcp();
    lookup.explode = true;
    ch.writeInbound(bytes("QUERY 127.0.0.5\r\n\r\n"));
    lookup.explode = false;
    lookup.ready = false;
    ch.writeInbound(bytes("QUERY 127.0.0.5\r\n\r\n"));
    assertThat(replies(ch)).isEqualTo("-internal error\r\n\r\n-grant cache still loading\r\n\r\n");
  }

  @Test
  void shouldAnswerOneDatagramPerRequestOverUdp() {
    EmbeddedChannel ch =
        new EmbeddedChannel(new Whoson.UdpHandler(new WhosonProtocol.Answers(meters)));
    InetSocketAddress client = new InetSocketAddress("127.0.0.1", 40000);
    InetSocketAddress server = new InetSocketAddress("127.0.0.1", 9876);
    ch.writeInbound(new DatagramPacket(bytes("QUERY 127.0.0.5\r\n\r\n"), server, client));
    DatagramPacket reply = ch.readOutbound();
    assertThat(reply.recipient()).isEqualTo(client);
    assertThat(reply.content().toString(StandardCharsets.UTF_8)).isEqualTo("+alice\r\n\r\n");
    reply.release();
    ch.writeInbound(new DatagramPacket(bytes("QUERY 127.0.0.6"), server, client));
    ch.writeInbound(
        new DatagramPacket(bytes("QUERY 127.0.0.5\r\nLOGIN 1.2.3.4 x"), server, client));
    ch.writeInbound(new DatagramPacket(bytes("\r\n\r\n"), server, client));
    ch.writeInbound(new DatagramPacket(bytes("Q".repeat(2000)), server, client));
    ch.writeInbound(new DatagramPacket(bytes("LOGIN 127.0.0.7 bob\r\n\r\n"), server, client));
    String[] answers = replies(ch).split("\r\n\r\n");
    assertThat(answers)
        .containsExactly(
            "-no live grant",
            "*one request per datagram",
            "*empty request",
            "*whoson request longer than 1024 bytes",
            "*LOGIN refused: this whoson server is read-only (logins reach it through"
                + " pop-before-smtp ingest)");
    assertThat(ch.isOpen()).isTrue();
  }

  @Test
  void shouldAnswerPlusOnlyToAQueryForTheGrantedAddressWhateverBytesArrive() {
    SplittableRandom random = new SplittableRandom(7);
    String[] pieces = {
      "QUERY ",
      "QUERY 127.0.0.5",
      "127.0.0.5",
      "\r\n",
      "\n",
      "\r",
      " ",
      "LOGIN ",
      "+alice",
      "\0",
      "QUERY 127.0.0.6",
      "\u00ff",
      "QUERY  127.0.0.5  x",
      "\t"
    };
    int pluses = 0;
    for (int round = 0; round < 2000; round++) {
      EmbeddedChannel ch = tcp();
      StringBuilder sent = new StringBuilder();
      int n = 1 + random.nextInt(12);
      for (int i = 0; i < n; i++) {
        sent.append(
            random.nextInt(4) == 0
                ? String.valueOf((char) random.nextInt(256))
                : pieces[random.nextInt(pieces.length)]);
      }
      ch.writeInbound(bytes(sent.toString()));
      ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
      String out = replies(ch);
      // every '+' answer is exactly "+alice", and only requests naming 127.0.0.5 can earn one
      for (String answer : out.split("\r\n\r\n")) {
        if (answer.startsWith("+")) {
          pluses++;
          assertThat(answer).isEqualTo("+alice");
          assertThat(sent.toString()).containsIgnoringCase("query").contains("127.0.0.5");
        }
      }
      ch.finishAndReleaseAll();
    }
    assertThat(pluses).as("the generator does reach the granted path").isPositive();
  }
}
