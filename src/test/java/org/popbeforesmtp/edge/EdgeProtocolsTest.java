package org.popbeforesmtp.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.popbeforesmtp.config.EdgeConfig;
import org.popbeforesmtp.net.IpAddress;

/** The policy and socketmap codecs and replies, with literal protocol text. */
class EdgeProtocolsTest {
  private static final String POSTFIX_REQUEST =
      "request=smtpd_access_policy\n"
          + "protocol_state=RCPT\n"
          + "protocol_name=ESMTP\n"
          + "client_address=127.0.0.5\n"
          + "client_name=unknown\n"
          + "helo_name=client.test\n"
          + "sender=sender@example.org\n"
          + "recipient=someone@example.net\n"
          + "queue_id=\n"
          + "instance=2874.6b082398.4c70e.0\n"
          + "policy_context=\n"
          + "some_future_attribute=x=y\n"
          + "\n";

  /** Grants 127.0.0.5 and the 2001:db8:1:2::/64 prefix; "loading" until told otherwise. */
  static final class FakeLookup implements GrantLookup {
    boolean ready = true;
    boolean explode;

    @Override
    public Answer check(String clientAddress) {
      if (explode) {
        throw new IllegalStateException("boom");
      }
      if (!ready) {
        return Answer.notReady();
      }
      try {
        String canonical = IpAddress.parse(clientAddress).toString();
        return canonical.equals("127.0.0.5")
            ? Answer.granted(Long.MAX_VALUE, "alice")
            : Answer.none();
      } catch (IllegalArgumentException e) {
        return Answer.invalid(e.getMessage());
      }
    }

    @Override
    public boolean isReady() {
      return ready;
    }
  }

  private final FakeLookup lookup = new FakeLookup();
  private final EdgeLookups lookups =
      new EdgeLookups(
          lookup, Duration.ofMinutes(5), Duration.ofSeconds(10), 4096, new SimpleMeterRegistry());

  private EmbeddedChannel policy() {
    return new EmbeddedChannel(
        new PolicyCodec(), new PolicyProtocol.Handler("OK", lookups.meters("policy")));
  }

  private EmbeddedChannel socketmap() {
    return new EmbeddedChannel(
        new NetstringCodec(),
        new SocketmapProtocol.Handler("OK", false, lookups.meters("socketmap")));
  }

  private static ByteBuf text(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
  }

  private static String replies(EmbeddedChannel ch) {
    StringBuilder sb = new StringBuilder();
    ByteBuf out;
    while ((out = ch.readOutbound()) != null) {
      sb.append(out.toString(StandardCharsets.UTF_8));
      out.release();
    }
    return sb.toString();
  }

  @Test
  void shouldAnswerOkForAGrantedClientAndDunnoOtherwise() {
    EmbeddedChannel ch = policy();
    ch.writeInbound(text(POSTFIX_REQUEST));
    ch.writeInbound(text(POSTFIX_REQUEST.replace("127.0.0.5", "127.0.0.6")));
    assertThat(replies(ch)).isEqualTo("action=OK\n\naction=DUNNO\n\n");
    assertThat(ch.isOpen()).isTrue();
  }

  @Test
  void shouldHandleSplitReadsPipelinedRequestsAndCrlf() {
    EmbeddedChannel ch = policy();
    String crlf = POSTFIX_REQUEST.replace("\n", "\r\n");
    String both = POSTFIX_REQUEST + crlf.replace("127.0.0.5", "::ffff:127.0.0.6");
    for (int i = 0; i < both.length(); i += 7) {
      ch.writeInbound(text(both.substring(i, Math.min(both.length(), i + 7))));
    }
    assertThat(replies(ch)).isEqualTo("action=OK\n\naction=DUNNO\n\n");
  }

  @Test
  void shouldCloseWithoutReplyOnGarbageOversizeOrAMissingRequestType() {
    for (String bad :
        new String[] {
          "GET / HTTP/1.1\n\n",
          "client_address=127.0.0.5\n\n",
          "request=smtpd_access_policy\nclient_address=127.0.0.5\n" + "x=" + "a".repeat(40_000),
          "request=smtpd_access_policy\n=value\n\n",
        }) {
      EmbeddedChannel ch = policy();
      ch.writeInbound(text(bad));
      assertThat(replies(ch)).as(bad.substring(0, Math.min(12, bad.length()))).isEmpty();
      assertThat(ch.isOpen()).as(bad.substring(0, Math.min(12, bad.length()))).isFalse();
    }
    assertThat(lookups.meters("policy").malformedCount())
        .as("each refused once (and logged once), not again as the connection closes")
        .isEqualTo(4);
  }

  @Test
  void shouldNeverAnswerOkOnAnErrorPath() {
    EmbeddedChannel ch = policy();
    lookup.explode = true;
    ch.writeInbound(text(POSTFIX_REQUEST));
    lookup.explode = false;
    lookup.ready = false;
    ch.writeInbound(text(POSTFIX_REQUEST));
    ch.writeInbound(text(POSTFIX_REQUEST.replace("client_address=127.0.0.5\n", "")));
    assertThat(replies(ch)).isEqualTo("action=DUNNO\n\naction=DUNNO\n\naction=DUNNO\n\n");
  }

  @Test
  void shouldAnswerSocketmapRequests() {
    EmbeddedChannel ch = socketmap();
    ch.writeInbound(text("16:grants 127.0.0.5,"));
    ch.writeInbound(text("16:grants 127.0.0.6,14:grants unknown,"));
    assertThat(replies(ch)).isEqualTo("5:OK OK,9:NOTFOUND ,9:NOTFOUND ,");
    ch.writeInbound(text("1"));
    ch.writeInbound(text("6:grants 127.0"));
    ch.writeInbound(text(".0.5,"));
    assertThat(replies(ch)).isEqualTo("5:OK OK,");
  }

  @Test
  void shouldAnswerPermAndCloseOnMalformedNetstrings() {
    for (String bad : new String[] {"x5:hello,", "5:hello;", "99999:", "123456:", ":abc,"}) {
      EmbeddedChannel ch = socketmap();
      ch.writeInbound(text(bad));
      assertThat(replies(ch)).as(bad).contains(":PERM ");
      assertThat(ch.isOpen()).as(bad).isFalse();
    }
    EmbeddedChannel ch = socketmap();
    ch.writeInbound(text("6:grants,"));
    assertThat(replies(ch)).startsWith("34:PERM request is not");
    assertThat(lookups.meters("socketmap").malformedCount())
        .as("each refused once (and logged once), not again as the connection closes")
        .isEqualTo(5);
  }

  @Test
  void shouldAnswerTempWhileLoadingWhenConfigured() {
    lookup.ready = false;
    EmbeddedChannel ch =
        new EmbeddedChannel(
            new NetstringCodec(),
            new SocketmapProtocol.Handler("OK", true, lookups.meters("socketmap")));
    ch.writeInbound(text("16:grants 127.0.0.5,"));
    assertThat(replies(ch))
        .isEqualTo(
            "34:TEMP grant cache still loading,"
                .replace("34", "" + "TEMP grant cache still loading".length()));
    assertThat(new SocketmapProtocol.Handler("OK", false, lookups.meters("x")).reply("g 127.0.0.5"))
        .isEqualTo("NOTFOUND ");
    assertThat(
            new PolicyProtocol.Handler("OK", lookups.meters("y"))
                .reply(Map.of("request", "smtpd_access_policy")))
        .isEqualTo("action=DUNNO\n\n");
  }

  @Test
  void shouldRefuseBadSettingsNamingThem() {
    Map<String, String> settings = new HashMap<>(EdgeConfig.DEFAULTS);
    settings.put("whoson.port", "99999");
    assertThatThrownBy(() -> new WhosonProtocol().configure(settings))
        .hasMessageContaining("whoson.port '99999'");
    settings.put("ok.action", "OK\nX");
    assertThatThrownBy(() -> new PolicyProtocol().configure(settings))
        .hasMessageContaining("ok.action");
    settings.put("socketmap.temp.when.not.ready", "yes");
    assertThatThrownBy(() -> new SocketmapProtocol().configure(settings))
        .hasMessageContaining("socketmap.temp.when.not.ready 'yes'");
  }
}
