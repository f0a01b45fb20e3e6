package org.popbeforesmtp.grants;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.test.TestRecord;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.Revocation;
import org.popbeforesmtp.testing.GrantDriver;
import org.popbeforesmtp.testing.TestEvents;

/**
 * Fuzzed bad input on mail.logins and relay.revocations, through the production topology: random
 * bytes, a valid wire header with garbage Avro, an unknown schema id, a record of the other topic's
 * schema, huge strings, control characters, addresses that are none. Every bad record reaches the
 * dead-letter topic, byte for byte and in order, with a reason; the topology never stops; every
 * good login around them grants. 20 tries of 600 records: 12,000 records, about half of them bad.
 */
class DeadLetterProperties {

  @Property(tries = 20)
  void everyBadRecordIsDeadLetteredWithItsReasonAndGoodOnesStillGrant(@ForAll long seed)
      throws Exception {
    Path state = Files.createTempDirectory("dlq-fuzz");
    SplittableRandom random = new SplittableRandom(seed);
    try (GrantDriver d = new GrantDriver(GrantPolicy.defaults(), state)) {
      List<byte[]> bad = new ArrayList<>();
      Set<String> good = new HashSet<>();
      for (int i = 0; i < 600; i++) {
        if (random.nextBoolean()) {
          String ip = "10." + (i >> 8) + "." + (i & 255) + "." + (1 + random.nextInt(250));
          d.login(TestEvents.login(d.now()).setClientIp(ip).setUsername("user" + i).build());
          good.add(ip);
        } else if (random.nextInt(3) > 0) {
          byte[] value = badLogin(d, random);
          bad.add(value);
          d.rawLogins.pipeInput(
              new TestRecord<>(
                  "k".getBytes(StandardCharsets.UTF_8), value, null, d.now().toEpochMilli()));
        } else {
          byte[] value = badRevocation(d, random);
          bad.add(value);
          d.rawRevocations.pipeInput(
              new TestRecord<>(
                  "k".getBytes(StandardCharsets.UTF_8), value, null, d.now().toEpochMilli()));
        }
        if (i % 100 == 99) {
          d.advance(Duration.ofSeconds(1));
        }
      }
      List<TestRecord<byte[], byte[]>> dead = d.deadLetters.readRecordsToList();
      assertThat(dead).hasSameSizeAs(bad);
      for (int k = 0; k < dead.size(); k++) {
        assertThat(dead.get(k).value()).as("dead letter %d", k).isEqualTo(bad.get(k));
        Header reason = dead.get(k).headers().lastHeader("__streams.errors.message");
        assertThat(reason).as("dead letter %d has a reason", k).isNotNull();
        assertThat(new String(reason.value(), StandardCharsets.UTF_8)).isNotBlank();
      }
      Set<String> granted = new HashSet<>();
      d.emitted().forEach(r -> granted.add(r.key()));
      assertThat(granted).as("every good login granted").containsAll(good);
    }
  }

  /** One bad mail.logins value of a seeded mix of the ways a producer goes wrong. */
  private static byte[] badLogin(GrantDriver d, SplittableRandom random) {
    LoginEvent ok = TestEvents.login(d.now()).setClientIp("192.0.2.7").build();
    return switch (random.nextInt(8)) {
      case 0 -> bytes(random, 1 + random.nextInt(300)); // random bytes
      case 1 -> { // a valid wire header (magic 0, a registered id) with garbage Avro
        byte[] good = serializeLogin(d, ok);
        byte[] v = bytes(random, 5 + random.nextInt(60));
        System.arraycopy(good, 0, v, 0, 5);
        yield v;
      }
      case 2 -> { // an unknown schema id
        byte[] v = serializeLogin(d, ok);
        ByteBuffer.wrap(v).putInt(1, 50_000 + random.nextInt(1_000_000));
        yield v;
      }
      case 3 -> // a record of another schema on this topic
          d.serdes
              .revocations()
              .serializer()
              .serialize(d.topics.revocations(), TestEvents.revokeKey("192.0.2.7", d.now()));
      case 4 -> // a huge username
          serializeLogin(
              d,
              TestEvents.login(d.now())
                  .setUsername("u".repeat(600 + random.nextInt(100_000)))
                  .build());
      case 5 -> // control characters
          serializeLogin(
              d, TestEvents.login(d.now()).setUsername("al\u0000ice\r\nX-Injected: yes").build());
      case 6 -> // an address that is none
          serializeLogin(
              d,
              TestEvents.login(d.now())
                  .setClientIp(random.nextBoolean() ? "999.1.1.1" : "host.example; DROP")
                  .build());
      default -> // a huge event id
          serializeLogin(
              d,
              TestEvents.login(d.now())
                  .setEventId("e".repeat(513 + random.nextInt(50_000)))
                  .build());
    };
  }

  /** One bad relay.revocations value. */
  private static byte[] badRevocation(GrantDriver d, SplittableRandom random) {
    return switch (random.nextInt(5)) {
      case 0 -> bytes(random, 1 + random.nextInt(300));
      case 1 -> { // unknown schema id
        byte[] v = serializeRevocation(d, TestEvents.revokeKey("192.0.2.7", d.now()));
        ByteBuffer.wrap(v).putInt(1, 50_000 + random.nextInt(1_000_000));
        yield v;
      }
      case 2 -> // a login on the revocations topic
          serializeLogin(d, TestEvents.login(d.now()).build());
      case 3 -> // a key revocation of something that is no address
          serializeRevocation(d, TestEvents.revokeKey("not an address\u0007", d.now()));
      default -> // a huge user target
          serializeRevocation(
              d, TestEvents.revokeUser("x".repeat(513 + random.nextInt(100_000)), d.now()));
    };
  }

  private static byte[] bytes(SplittableRandom random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static byte[] serializeLogin(GrantDriver d, LoginEvent event) {
    return d.serdes.logins().serializer().serialize(d.topics.logins(), event);
  }

  private static byte[] serializeRevocation(GrantDriver d, Revocation revocation) {
    return d.serdes.revocations().serializer().serialize(d.topics.revocations(), revocation);
  }
}
