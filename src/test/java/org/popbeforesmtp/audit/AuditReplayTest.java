package org.popbeforesmtp.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.Outcome;
import org.popbeforesmtp.grants.GrantPolicy;
import org.popbeforesmtp.net.CidrSet;
import org.popbeforesmtp.testing.TestEvents;

/** Audit replay line by line: intervals, verdicts at the boundaries, late events, refusals. */
class AuditReplayTest {
  private static final Instant T = Instant.parse("2026-03-10T03:00:00Z");
  private static final long TTL = Duration.ofMinutes(30).toMillis();
  private static final GrantPolicy POLICY = GrantPolicy.defaults();

  private final List<GrantInterval> intervals = new ArrayList<>();
  private final List<RefusedLogin> refusals = new ArrayList<>();

  private AuditReplay replay(GrantPolicy policy) {
    return new AuditReplay(policy, 0L, intervals::add, refusals::add);
  }

  private static long at(long minutes) {
    return T.toEpochMilli() + Duration.ofMinutes(minutes).toMillis();
  }

  private static LoginEvent login(String id, long time, String ip, String user) {
    return TestEvents.login(Instant.ofEpochMilli(time))
        .setEventId(id)
        .setClientIp(ip)
        .setUsername(user)
        .build();
  }

  private Verdict verdict(long when) {
    return Verdict.at(intervals, when, POLICY);
  }

  @Test
  void aLoginGrantsFromItsTimeForExactlyTheTtl() {
    AuditReplay r = replay(POLICY);
    r.login(login("e1", at(0), "198.51.100.23", "alice"), at(0));
    r.finish(at(120));

    assertThat(intervals)
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.key()).isEqualTo("198.51.100.23");
              assertThat(i.from()).isEqualTo(at(0));
              assertThat(i.until()).isEqualTo(at(30));
              assertThat(i.ending()).isEqualTo(GrantInterval.Ending.EXPIRED);
              assertThat(i.events()).extracting(Contribution::eventId).containsExactly("e1");
            });
    assertThat(verdict(at(0)).allowed()).as("at t").isTrue();
    assertThat(verdict(at(0)).login().eventId()).isEqualTo("e1");
    assertThat(verdict(at(0) + TTL - 1).allowed()).as("at t+TTL-1ms").isTrue();
    assertThat(verdict(at(0) + TTL).allowed()).as("at t+TTL").isFalse();
    assertThat(verdict(at(0) - 1).allowed()).as("before t").isFalse();
  }

  @Test
  void chainedLoginsExtendOneIntervalAndTheVerdictNamesTheLoginCoveringTheInstant() {
    AuditReplay r = replay(POLICY);
    r.login(login("e1", at(0), "198.51.100.23", "alice"), at(0));
    r.login(login("e2", at(20), "198.51.100.23", "alice"), at(20));
    r.login(login("e3", at(45), "198.51.100.23", "bob"), at(45));
    r.finish(at(200));

    assertThat(intervals).singleElement();
    GrantInterval i = intervals.get(0);
    assertThat(i.until()).isEqualTo(at(75));
    assertThat(i.eventCount()).isEqualTo(3);
    assertThat(i.users()).containsExactlyInAnyOrder("alice", "bob");
    assertThat(verdict(at(10)).login().eventId()).isEqualTo("e1");
    assertThat(verdict(at(25)).login().eventId()).isEqualTo("e2");
    assertThat(verdict(at(49)).login().eventId()).isEqualTo("e3");
    assertThat(verdict(at(75)).allowed()).isFalse();
  }

  @Test
  void anOutOfOrderOlderLoginNeverShortensTheGrant() {
    AuditReplay r = replay(POLICY);
    r.login(login("late-but-newer", at(10), "198.51.100.23", "alice"), at(10));
    r.login(login("older", at(5), "198.51.100.23", "alice"), at(11));
    r.finish(at(200));

    assertThat(intervals).singleElement();
    assertThat(intervals.get(0).until()).isEqualTo(at(40));
    assertThat(intervals.get(0).grantedAt()).isEqualTo(at(5));
  }

  @Test
  void aLateLoginReopensAnExpiredSessionOnlyFromItsArrival() {
    AuditReplay r = replay(POLICY);
    r.login(login("e1", at(0), "198.51.100.23", "alice"), at(0));
    // dated 10 minutes in, but it reached Kafka at 35 (after the grant of e1 expired at 30)
    r.login(login("e2", at(10), "198.51.100.23", "alice"), at(35));
    r.finish(at(200));

    assertThat(intervals).hasSize(2);
    assertThat(intervals.get(0).until()).isEqualTo(at(30));
    GrantInterval reopened = intervals.get(1);
    assertThat(reopened.from()).isEqualTo(at(35));
    assertThat(reopened.grantedAt()).isEqualTo(at(0));
    assertThat(reopened.until()).isEqualTo(at(40));
    assertThat(verdict(at(32)).allowed()).as("the edges saw no grant in the gap").isFalse();
    assertThat(verdict(at(36)).login().eventId()).isEqualTo("e2");
  }

  @Test
  void aLoginExpiredOnArrivalGrantsNothing() {
    AuditReplay r = replay(POLICY);
    r.login(login("e1", at(0), "198.51.100.23", "alice"), at(30));
    r.finish(at(200));

    assertThat(intervals).isEmpty();
    assertThat(refusals).extracting(RefusedLogin::reason).containsExactly("expired-on-arrival");
  }

  @Test
  void aUserRevocationEndsTheGrantAtItsArrivalAndTheVerdictAfterwards() {
    AuditReplay r = replay(POLICY);
    r.login(login("e1", at(0), "198.51.100.23", "alice"), at(0));
    r.revocation(TestEvents.revokeUser("alice", Instant.ofEpochMilli(at(10))), at(10));
    r.login(login("e2", at(9), "198.51.100.23", "alice"), at(11));
    r.finish(at(200));

    assertThat(intervals).singleElement();
    GrantInterval i = intervals.get(0);
    assertThat(i.ending()).isEqualTo(GrantInterval.Ending.REVOKED);
    assertThat(i.until()).isEqualTo(at(10));
    assertThat(i.endedBy()).contains("user alice revoked by abuse-desk");
    assertThat(verdict(at(9)).allowed()).isTrue();
    assertThat(verdict(at(10)).allowed()).isFalse();
    assertThat(refusals).extracting(RefusedLogin::reason).containsExactly("revoked-user");
  }

  @Test
  void aKeyRevocationOfAPrefixEndsTheGrantsInside() {
    AuditReplay r = replay(POLICY);
    r.login(login("e1", at(0), "198.51.100.23", "alice"), at(0));
    r.login(login("e2", at(0), "198.51.100.99", "bob"), at(0));
    r.login(login("e3", at(0), "203.0.113.1", "carol"), at(0));
    r.revocation(TestEvents.revokeKey("198.51.100.0/24", Instant.ofEpochMilli(at(5))), at(5));
    r.finish(at(200));

    assertThat(intervals)
        .filteredOn(i -> i.ending() == GrantInterval.Ending.REVOKED)
        .extracting(GrantInterval::key)
        .containsExactlyInAnyOrder("198.51.100.23", "198.51.100.99");
    assertThat(intervals)
        .filteredOn(i -> i.key().equals("203.0.113.1"))
        .extracting(GrantInterval::ending)
        .containsExactly(GrantInterval.Ending.EXPIRED);
  }

  @Test
  void refusalsNameTheirReason() {
    GrantPolicy policy =
        POLICY.withNeverGrant(CidrSet.parse("100.64.0.0/10")).withMaxUsersPerKey(2);
    AuditReplay r = replay(policy);
    r.login(login("cgnat", at(0), "100.64.1.2", "alice"), at(0));
    r.login(
        TestEvents.login(Instant.ofEpochMilli(at(0)))
            .setEventId("failed")
            .setClientIp("192.0.2.1")
            .setOutcome(Outcome.FAILURE)
            .build(),
        at(0));
    r.login(login("future", at(10), "192.0.2.2", "alice"), at(0));
    r.login(login("bad-ip", at(0), "not-an-ip", "alice"), at(0));
    r.login(login("n1", at(1), "192.0.2.3", "u1"), at(1));
    r.login(login("n2", at(2), "192.0.2.3", "u2"), at(2));
    r.login(login("n3", at(3), "192.0.2.3", "u3"), at(3));
    r.login(login("n1", at(1), "192.0.2.3", "u1"), at(4)); // a duplicate: not a refusal
    r.finish(at(200));

    assertThat(refusals)
        .extracting(x -> x.event().getEventId() + ":" + x.reason())
        .containsExactly(
            "cgnat:never-grant-network",
            "failed:not-successful",
            "future:future-dated",
            "bad-ip:invalid",
            "n3:shared-address");
    assertThat(intervals)
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.key()).isEqualTo("192.0.2.3");
              assertThat(i.ending()).isEqualTo(GrantInterval.Ending.SHARED_ADDRESS);
              assertThat(i.until()).isEqualTo(at(3));
            });
  }

  @Test
  void grantsLiveAtTheEndAreReportedRunning() {
    AuditReplay r = replay(POLICY);
    r.login(login("e1", at(0), "2001:db8::1", "alice"), at(0));
    r.finish(at(10));

    assertThat(intervals).singleElement();
    assertThat(intervals.get(0).ending()).isEqualTo(GrantInterval.Ending.RUNNING);
    assertThat(intervals.get(0).until()).isEqualTo(at(30));
  }

  @Test
  void partitionsMatchTheProducersDefaultPartitioner() {
    byte[] key = "198.51.100.23".getBytes(StandardCharsets.UTF_8);
    int expected = BuiltInPartitioner.partitionForKey(key, 12);
    assertThat(AuditReplay.partitionOf("198.51.100.23", 12)).isEqualTo(expected);
  }
}
