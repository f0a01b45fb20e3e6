package org.popbeforesmtp.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.LoginKind;
import org.popbeforesmtp.avro.Outcome;
import org.popbeforesmtp.avro.Protocol;
import org.popbeforesmtp.edge.GrantTable;
import org.popbeforesmtp.edge.PolicyCodec;
import org.popbeforesmtp.net.IpAddress;
import org.popbeforesmtp.net.IpPrefix;
import org.popbeforesmtp.registry.AvroDeserializer;
import org.popbeforesmtp.registry.AvroSerializer;
import org.popbeforesmtp.registry.SchemaRegistryClient;
import org.popbeforesmtp.registry.SerdeConfig;

/** The hot paths: canonical IPs, policy request parsing, cache lookup, Avro serde. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HotPaths {
  private static final String POLICY_REQUEST =
      "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
          + "client_address=198.51.100.23\nclient_name=unknown\nhelo_name=client.example\n"
          + "sender=a@example.org\nrecipient=b@example.net\nrecipient_count=0\nsize=0\n\n";

  private final GrantTable table = new GrantTable();
  private final IpAddress hit = IpAddress.parse("10.0.77.7");
  private final IpAddress miss = IpAddress.parse("192.0.2.99");
  private EmbeddedChannel policy;
  private ByteBuf request;
  private AvroSerializer<LoginEvent> serializer;
  private AvroDeserializer<LoginEvent> deserializer;
  private LoginEvent event;
  private byte[] encoded;

  @Setup
  public void setUp() {
    long expires = System.currentTimeMillis() + 3_600_000;
    for (int i = 0; i < 1_000_000; i++) {
      table.put(
          IpPrefix.parse("10." + ((i >>> 16) & 0xff) + "." + ((i >>> 8) & 0xff) + "." + (i & 0xff)),
          expires);
    }
    policy = new EmbeddedChannel(new PolicyCodec());
    request = Unpooled.copiedBuffer(POLICY_REQUEST, StandardCharsets.US_ASCII);
    SchemaRegistryClient registry = SerdeConfig.of("mock://jmh").newClient();
    serializer = new AvroSerializer<>(LoginEvent.class, registry, true);
    deserializer = new AvroDeserializer<>(LoginEvent.class, registry);
    event =
        LoginEvent.newBuilder()
            .setEventId("dovecot:pop-01:TaL/7ixhLbN/AAAF:ok")
            .setEventTime(Instant.parse("2026-11-26T10:00:00Z"))
            .setClientIp("198.51.100.23")
            .setUsername("alice@example.org")
            .setProtocol(Protocol.POP3)
            .setKind(LoginKind.LOGIN)
            .setOutcome(Outcome.SUCCESS)
            .setServerId("pop-01")
            .setSource("dovecot")
            .setSessionId("TaL/7ixhLbN/AAAF")
            .build();
    encoded = serializer.serialize("mail.logins", event);
  }

  @TearDown
  public void tearDown() {
    policy.finishAndReleaseAll();
  }

  @Benchmark
  public String canonicalIpv4() {
    return IpAddress.parse("198.51.100.23").toString();
  }

  @Benchmark
  public String canonicalIpv6() {
    return IpAddress.parse("2001:DB8:0:0:1:0:0:1").toString();
  }

  @Benchmark
  public String canonicalMappedIpv4() {
    return IpAddress.parse("::ffff:198.51.100.23").toString();
  }

  @Benchmark
  public Object policyRequestParse() {
    policy.writeInbound(request.retainedDuplicate());
    return policy.readInbound();
  }

  @Benchmark
  public long cacheLookupHit() {
    return table.expiresAt(hit);
  }

  @Benchmark
  public long cacheLookupMiss() {
    return table.expiresAt(miss);
  }

  @Benchmark
  public long cacheLookupFromText() {
    return table.expiresAt(IpAddress.parse("10.0.77.7"));
  }

  @Benchmark
  public byte[] avroEncodeLogin() {
    return serializer.serialize("mail.logins", event);
  }

  @Benchmark
  public LoginEvent avroDecodeLogin() {
    return deserializer.deserialize("mail.logins", encoded);
  }
}
