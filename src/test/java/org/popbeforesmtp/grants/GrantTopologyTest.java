package org.popbeforesmtp.grants;

import static org.assertj.core.api.Assertions.assertThat;
import static org.popbeforesmtp.testing.GrantDriver.T0;
import static org.popbeforesmtp.testing.TestEvents.login;
import static org.popbeforesmtp.testing.TestEvents.revokeKey;
import static org.popbeforesmtp.testing.TestEvents.revokeUser;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.LoginKind;
import org.popbeforesmtp.avro.Outcome;
import org.popbeforesmtp.avro.Protocol;
import org.popbeforesmtp.avro.RelayGrant;
import org.popbeforesmtp.avro.Revocation;
import org.popbeforesmtp.avro.RevocationScope;
import org.popbeforesmtp.net.CidrSet;
import org.popbeforesmtp.net.GrantKeys;
import org.popbeforesmtp.testing.GrantDriver;

/** DESIGN section 4, line by line, through the production topology. */
class GrantTopologyTest {
  private static final Duration TTL = Duration.ofMinutes(30);

  @TempDir Path stateDir;
  private GrantDriver d;

  private GrantDriver driver(GrantPolicy policy) {
    d = new GrantDriver(policy, stateDir);
    return d;
  }

  private GrantDriver driver() {
    return driver(GrantPolicy.defaults());
  }

  @AfterEach
  void close() {
    if (d != null) {
      d.close();
    }
  }

  private static Instant at(Duration sinceT0) {
    return T0.plus(sinceT0);
  }

  private static Duration min(long minutes) {
    return Duration.ofMinutes(minutes);
  }

  private void assertNothingElseEmitted() {
    assertThat(d.grants.isEmpty()).as("nothing else on relay.grants").isTrue();
    assertThat(d.deadLetters.isEmpty()).as("nothing on the dead-letter topic").isTrue();
  }

  private double metric(String name) {
    return d.driver.metrics().entrySet().stream()
        .filter(e -> e.getKey().name().equals(name))
        .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
        .sum();
  }

  @Test
  void shouldGrantTtlFromASuccessfulLogin() {
    driver();
    LoginEvent event = login(T0).setSessionId("S1").build();

    d.login(event);

    TestRecord<String, RelayGrant> record = d.grants.readRecord();
    assertThat(record.key()).isEqualTo("203.0.113.5");
    assertThat(record.value())
        .isEqualTo(
            RelayGrant.newBuilder()
                .setKey("203.0.113.5")
                .setClientIp("203.0.113.5")
                .setUsername("alice")
                .setGrantedAt(T0)
                .setLastEventAt(T0)
                .setExpiresAt(T0.plus(TTL))
                .setEventId(event.getEventId())
                .setProtocol(Protocol.POP3)
                .setServerId("pop-01")
                .setEventCount(1)
                .build());
    assertThat(metric("grants-started-total")).isEqualTo(1.0);
    assertThat(metric("grants-live")).isEqualTo(1.0);
    assertNothingElseEmitted();
  }

  @Test
  void shouldNotGrantOnAFailedLoginButCountIt() {
    driver();
    d.login(login(T0).setOutcome(Outcome.FAILURE).build());
    d.login(login(T0).setOutcome(Outcome.UNKNOWN).build());

    assertThat(metric("logins-refused-not-successful-total")).isEqualTo(2.0);
    assertNothingElseEmitted();
  }

  @Test
  void shouldNotGrantOnAnUnknownKind() {
    driver();
    d.login(login(T0).setKind(LoginKind.UNKNOWN).build());

    assertThat(metric("logins-refused-not-a-session-event-total")).isEqualTo(1.0);
    assertNothingElseEmitted();
  }

  @Test
  void shouldExtendOnHeartbeatAndLogoutOfASuccessfulSession() {
    driver();
    d.login(login(T0).build());
    d.advance(min(20));
    d.login(login(at(min(20))).setKind(LoginKind.HEARTBEAT).setProtocol(Protocol.IMAP).build());
    d.advance(min(20));
    LoginEvent logout = login(at(min(40))).setKind(LoginKind.LOGOUT).build();
    d.login(logout);

    List<RelayGrant> grants = d.emitted().stream().map(TestRecord::value).toList();
    assertThat(grants)
        .extracting(RelayGrant::getExpiresAt)
        .containsExactly(at(min(30)), at(min(50)), at(min(70)));
    RelayGrant last = grants.get(2);
    assertThat(last.getGrantedAt()).isEqualTo(T0);
    assertThat(last.getLastEventAt()).isEqualTo(at(min(40)));
    assertThat(last.getEventId()).isEqualTo(logout.getEventId());
    assertThat(last.getEventCount()).isEqualTo(3);
    assertThat(grants.get(1).getProtocol()).isEqualTo(Protocol.IMAP);
    assertThat(metric("grants-started-total")).isEqualTo(1.0);
    assertThat(metric("grants-extended-total")).isEqualTo(2.0);
    assertNothingElseEmitted();
  }

  @Test
  void shouldExpireTtlAfterTheLastEventWithinOneScanInterval() {
    driver();
    d.login(login(T0).build());
    d.emitted();

    d.advance(TTL.minusSeconds(1));
    assertThat(d.grants.isEmpty()).as("still live one second before expiry").isTrue();

    d.advance(Duration.ofSeconds(1));
    TestRecord<String, RelayGrant> tombstone = d.grants.readRecord();
    assertThat(tombstone.key()).isEqualTo("203.0.113.5");
    assertThat(tombstone.value()).isNull();
    assertThat(tombstone.timestamp()).isEqualTo(at(TTL).toEpochMilli());
    assertThat(metric("grants-expired-total")).isEqualTo(1.0);
    assertThat(metric("expiry-lag-max")).as("tombstone at the scan that saw it expire").isZero();
    assertThat(metric("grants-live")).isZero();

    d.advance(TTL);
    assertNothingElseEmitted();
  }

  @Test
  void shouldNotLetAServerThatNeverSendsLogoutKeepAGrantAlive() {
    driver();
    d.login(login(T0).build());
    d.advance(min(10));
    d.login(login(at(min(10))).setKind(LoginKind.HEARTBEAT).build());
    d.emitted();

    d.advance(min(30));

    assertThat(d.emitted()).singleElement().satisfies(r -> assertThat(r.value()).isNull());
    assertNothingElseEmitted();
  }

  @Test
  void shouldStartAFreshGrantAfterExpiry() {
    driver();
    d.login(login(T0).build());
    d.advance(min(40));
    d.login(login(at(min(40))).build());

    List<TestRecord<String, RelayGrant>> out = d.emitted();
    assertThat(out).hasSize(3);
    assertThat(out.get(1).value()).isNull();
    assertThat(out.get(2).value().getGrantedAt()).isEqualTo(at(min(40)));
    assertThat(out.get(2).value().getEventCount()).isEqualTo(1);
    assertNothingElseEmitted();
  }

  @Test
  void shouldNeverShortenAGrantWithAnOlderOutOfOrderEvent() {
    driver();
    d.advance(min(10));
    LoginEvent later = login(at(min(10))).build();
    d.login(later);
    d.login(login(T0).setServerId("pop-02").build());

    List<RelayGrant> grants = d.emitted().stream().map(TestRecord::value).toList();
    assertThat(grants).hasSize(2);
    RelayGrant merged = grants.get(1);
    assertThat(merged.getExpiresAt()).isEqualTo(at(min(40)));
    assertThat(merged.getGrantedAt()).isEqualTo(T0);
    assertThat(merged.getLastEventAt()).isEqualTo(at(min(10)));
    assertThat(merged.getEventId()).isEqualTo(later.getEventId());
    assertThat(merged.getServerId()).isEqualTo("pop-01");
    assertThat(merged.getEventCount()).isEqualTo(2);
    assertNothingElseEmitted();
  }

  @Test
  void shouldMergeSessionsBridgedByALateEventWithoutATombstone() {
    driver();
    d.advance(min(29));
    d.login(login(T0).build());
    // dated in the future within the skew: a separate session, TTL after the first
    d.login(login(at(min(31))).build());
    d.login(login(at(min(15))).build());

    List<TestRecord<String, RelayGrant>> out = d.emitted();
    assertThat(out).hasSize(3).allSatisfy(r -> assertThat(r.value()).isNotNull());
    RelayGrant bridged = out.get(2).value();
    assertThat(bridged.getGrantedAt()).isEqualTo(T0);
    assertThat(bridged.getExpiresAt()).isEqualTo(at(min(61)));
    assertThat(bridged.getEventCount()).isEqualTo(3);
    assertNothingElseEmitted();
  }

  @Test
  void shouldReviveAnExpiredGrantWhenALateEventChainsIt() {
    driver();
    d.login(login(T0).build());
    d.advance(TTL.plusSeconds(5));
    d.login(login(at(min(29))).build());

    List<TestRecord<String, RelayGrant>> out = d.emitted();
    assertThat(out).hasSize(3);
    assertThat(out.get(1).value()).isNull();
    assertThat(out.get(2).value().getGrantedAt()).isEqualTo(T0);
    assertThat(out.get(2).value().getExpiresAt()).isEqualTo(at(min(59)));
    assertNothingElseEmitted();
  }

  @Test
  void shouldChangeNothingOnADuplicateEventId() {
    driver();
    LoginEvent event = login(T0).build();
    d.login(event);
    d.advance(min(5));
    d.login(login(at(min(5))).build());
    d.emitted();

    d.login(event);
    d.login(LoginEvent.newBuilder(event).build());

    assertThat(metric("logins-refused-duplicate-total")).isEqualTo(2.0);
    assertNothingElseEmitted();
  }

  @Test
  void shouldSendEventsDatedBeyondTheSkewToTheDeadLetterTopic() {
    driver();
    LoginEvent future = login(T0.plus(Duration.ofMinutes(2)).plusMillis(1)).build();
    d.login(future);

    TestRecord<byte[], byte[]> dead = d.deadLetters.readRecord();
    assertThat(dead.value())
        .isEqualTo(d.serdes.logins().serializer().serialize("mail.logins", future));
    assertThat(new String(dead.key(), StandardCharsets.UTF_8)).isEqualTo("203.0.113.5");
    assertThat(header(dead, "__streams.errors.message")).contains("in the future");
    assertThat(header(dead, "__streams.errors.topic")).isEqualTo("mail.logins");
    assertThat(header(dead, "__streams.errors.partition")).isEqualTo("0");
    assertThat(header(dead, "__streams.errors.offset")).isEqualTo("0");

    d.login(login(T0.plus(Duration.ofMinutes(2))).build());
    assertThat(d.emitted()).as("exactly at the skew is accepted").hasSize(1);
    assertNothingElseEmitted();
  }

  @Test
  void shouldGrantNothingForAnEventAlreadyExpiredOnArrival() {
    driver();
    d.advance(TTL);
    d.login(login(T0).build());
    assertThat(metric("logins-refused-expired-on-arrival-total")).isEqualTo(1.0);
    assertNothingElseEmitted();

    d.login(login(T0.plusMillis(1)).build());
    assertThat(d.emitted())
        .singleElement()
        .satisfies(r -> assertThat(r.value().getExpiresAt()).isEqualTo(at(TTL).plusMillis(1)));
    assertNothingElseEmitted();
  }

  @Test
  void shouldSendUndecodableAndInvalidRecordsToTheDeadLetterTopicAndContinue() {
    driver();
    byte[] garbage = "{\"user\":\"alice\"}".getBytes(StandardCharsets.UTF_8);
    byte[] unknownId = d.serdes.logins().serializer().serialize("mail.logins", login(T0).build());
    ByteBuffer.wrap(unknownId).putInt(1, 4242);
    d.rawLogins.pipeInput("k1".getBytes(StandardCharsets.UTF_8), garbage, T0);
    d.rawLogins.pipeInput("k2".getBytes(StandardCharsets.UTF_8), unknownId, T0);
    d.login(login(T0).setClientIp("mail.example.com").build());
    d.login(login(T0).setUsername(" ").build());
    d.login(login(T0).setEventId("").build());

    List<TestRecord<byte[], byte[]>> dead = d.deadLetters.readRecordsToList();
    assertThat(dead).hasSize(5);
    assertThat(dead.get(0).value()).isEqualTo(garbage);
    assertThat(dead.get(0).key()).isEqualTo("k1".getBytes(StandardCharsets.UTF_8));
    assertThat(header(dead.get(0), "__streams.errors.message")).contains("magic");
    assertThat(dead.get(1).value()).isEqualTo(unknownId);
    assertThat(header(dead.get(1), "__streams.errors.message")).contains("unknown schema id 4242");
    assertThat(header(dead.get(2), "__streams.errors.message")).contains("mail.example.com");
    assertThat(header(dead.get(3), "__streams.errors.message")).contains("username");
    assertThat(header(dead.get(4), "__streams.errors.message")).contains("eventId");
    assertThat(header(dead.get(4), "__streams.errors.offset")).isEqualTo("4");

    d.login(login(T0).build());
    assertThat(d.emitted()).as("processing continues").hasSize(1);
    assertNothingElseEmitted();
  }

  @Test
  void shouldRekeyLoginsAProducerKeyedDifferently() {
    driver();
    d.logins.pipeInput("not-an-ip", login(T0).setClientIp("::ffff:203.0.113.5").build(), T0);
    d.logins.pipeInput(null, login(T0).setClientIp("2001:DB8::0:1").build(), T0);

    assertThat(d.emitted())
        .extracting(TestRecord::key)
        .containsExactly("203.0.113.5", "2001:db8::1");
    assertNothingElseEmitted();
  }

  @Test
  void shouldGrantWholePrefixesWhenConfigured() {
    driver(GrantPolicy.defaults().withKeys(new GrantKeys(32, 64)));
    d.login(login(T0).setClientIp("2001:db8:1:2::a").build());
    d.login(login(T0).setClientIp("2001:db8:1:2:ffff::b").setUsername("bob").build());

    List<TestRecord<String, RelayGrant>> out = d.emitted();
    assertThat(out).extracting(TestRecord::key).containsOnly("2001:db8:1:2::/64");
    assertThat(out.get(1).value().getEventCount()).isEqualTo(2);
    assertThat(out.get(1).value().getClientIp()).isEqualTo("2001:db8:1:2:ffff::b");
    assertNothingElseEmitted();
  }

  @Test
  void shouldEndAKeyRevokedGrantAtOnceAndIgnoreOlderLoginsOfIt() {
    driver();
    d.login(login(T0).build());
    d.advance(min(1));
    d.revoke(revokeKey("::ffff:203.0.113.5", at(min(1))));

    List<TestRecord<String, RelayGrant>> out = d.emitted();
    assertThat(out).hasSize(2);
    assertThat(out.get(1).key()).isEqualTo("203.0.113.5");
    assertThat(out.get(1).value()).isNull();
    assertThat(metric("grants-revoked-total")).isEqualTo(1.0);

    d.login(login(T0.plusSeconds(30)).build());
    assertThat(metric("logins-refused-revoked-key-total")).isEqualTo(1.0);
    assertNothingElseEmitted();

    d.advance(min(1));
    d.login(login(at(min(2))).build());
    assertThat(d.emitted()).as("a login after the revocation grants again").hasSize(1);
    assertNothingElseEmitted();
  }

  @Test
  void shouldRevokeEveryGrantUnderAPrefix() {
    driver();
    d.login(login(T0).setClientIp("2001:db8::1").build());
    d.login(login(T0).setClientIp("2001:db8:ffff::2").build());
    d.login(login(T0).setClientIp("2001:db9::1").build());
    d.login(login(T0).build());
    d.emitted();

    d.revoke(revokeKey("2001:db8::/32", T0));

    assertThat(d.emitted())
        .allSatisfy(r -> assertThat(r.value()).isNull())
        .extracting(TestRecord::key)
        .containsExactlyInAnyOrder("2001:db8::1", "2001:db8:ffff::2");
    assertNothingElseEmitted();
  }

  @Test
  void shouldRemoveOnlyTheRevokedUsersContribution() {
    driver();
    d.login(login(T0).setClientIp("198.51.100.1").build());
    d.advance(min(2));
    LoginEvent bob = login(T0).setClientIp("198.51.100.1").setUsername("bob").build();
    d.login(bob);
    d.login(login(at(min(2))).setClientIp("198.51.100.1").build());
    d.login(login(at(min(2))).setClientIp("198.51.100.2").build());
    d.emitted();

    d.revoke(revokeUser("alice", at(min(2)).plusMillis(1)));

    List<TestRecord<String, RelayGrant>> out = d.emitted();
    assertThat(out).hasSize(2);
    TestRecord<String, RelayGrant> shared =
        out.stream().filter(r -> r.key().equals("198.51.100.1")).findFirst().orElseThrow();
    assertThat(shared.value().getUsername()).isEqualTo("bob");
    assertThat(shared.value().getEventId()).isEqualTo(bob.getEventId());
    assertThat(shared.value().getExpiresAt()).isEqualTo(at(TTL));
    assertThat(shared.value().getEventCount()).isEqualTo(1);
    TestRecord<String, RelayGrant> alone =
        out.stream().filter(r -> r.key().equals("198.51.100.2")).findFirst().orElseThrow();
    assertThat(alone.value()).isNull();

    d.login(login(at(min(2))).setClientIp("198.51.100.2").build());
    assertThat(metric("logins-refused-revoked-user-total")).isEqualTo(1.0);
    assertNothingElseEmitted();
    d.advance(min(1));
    d.login(login(at(min(3))).setClientIp("198.51.100.2").build());
    assertThat(d.emitted()).as("alice's later logins grant again").hasSize(1);
    assertNothingElseEmitted();
  }

  @Test
  void shouldNeverGrantInNeverGrantNetworks() {
    driver(GrantPolicy.defaults().withNeverGrant(CidrSet.parse("100.64.0.0/10")));
    d.login(login(T0).setClientIp("100.64.1.2").build());
    d.login(login(T0).setClientIp("::ffff:100.127.0.1").build());

    assertThat(metric("logins-refused-never-grant-network-total")).isEqualTo(2.0);
    assertNothingElseEmitted();
  }

  @Test
  void shouldTreatAKeyWithMoreUsersThanTheCapAsSharedAndGrantNothing() {
    driver(GrantPolicy.defaults().withMaxUsersPerKey(2));
    d.login(login(T0).setUsername("alice").build());
    d.login(login(T0).setUsername("bob").build());
    d.login(login(T0).setUsername("alice").build());
    assertThat(d.emitted()).hasSize(3).allSatisfy(r -> assertThat(r.value()).isNotNull());

    d.login(login(T0).setUsername("carol").build());
    assertThat(d.emitted()).singleElement().satisfies(r -> assertThat(r.value()).isNull());
    d.login(login(T0).setUsername("alice").build());

    assertThat(metric("logins-refused-shared-address-total")).isEqualTo(2.0);
    assertThat(metric("grants-ended-shared-address-total")).isEqualTo(1.0);
    assertNothingElseEmitted();
  }

  @Test
  void shouldSendAnInvalidRevocationToTheDeadLetterTopicOnce() {
    driver();
    d.login(login(T0).build());
    d.emitted();

    d.revoke(revokeKey("not-an-address", T0));
    d.revoke(
        Revocation.newBuilder(revokeKey("203.0.113.5", T0))
            .setScope(RevocationScope.UNKNOWN)
            .build());

    List<TestRecord<byte[], byte[]>> dead = d.deadLetters.readRecordsToList();
    assertThat(dead).hasSize(2);
    assertThat(header(dead.get(0), "__streams.errors.message")).contains("not-an-address");
    assertThat(header(dead.get(0), "__streams.errors.topic")).isEqualTo("relay.revocations");
    assertThat(header(dead.get(1), "__streams.errors.message")).contains("UNKNOWN");
    assertNothingElseEmitted();
  }

  @Test
  void shouldNameEveryStoreAndInternalTopic() {
    driver();
    String description =
        GrantTopology.build(d.topics, d.serdes, d.policy, 12).describe().toString();
    assertThat(description)
        .contains(StoreNames.KEY_STATE, StoreNames.EXPIRY_INDEX)
        .contains(StoreNames.REKEY_REPARTITION, StoreNames.REVOCATION_BROADCAST)
        .doesNotContain("KSTREAM-")
        .doesNotContain("KTABLE-");
  }

  private static String header(TestRecord<byte[], byte[]> record, String name) {
    Header h = record.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
