package org.popbeforesmtp.grants;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.LoginKind;
import org.popbeforesmtp.avro.Outcome;
import org.popbeforesmtp.net.CidrSet;
import org.popbeforesmtp.net.GrantKeys;
import org.popbeforesmtp.testing.TestEvents;

class GrantRulesTest {

  @ParameterizedTest(name = "{0} covers {1}: {2}")
  @CsvSource({
    "203.0.113.5, 203.0.113.5, true",
    "203.0.113.0/24, 203.0.113.5, true",
    "203.0.114.0/24, 203.0.113.5, false",
    "2001:db8::/32, 2001:db8:1:2::/64, true",
    "2001:db8:1:2::5, 2001:db8:1:2::/64, true",
    "2001:db8:1:3::5, 2001:db8:1:2::/64, false",
    "2001:db8:1:2::/64, 2001:db8:1:2::/64, true",
    "2001:db8:1:2::/63, 2001:db8:1:3::/64, true",
    "::/0, 203.0.113.5, false",
    "0.0.0.0/0, 2001:db8::1, false",
  })
  void shouldCoverKeysInsideOrAroundTheTarget(String target, String key, boolean covers) {
    assertThat(GrantRules.covers(target, key)).isEqualTo(covers);
  }

  @Test
  void shouldRepublishOrEndPublishedGrantsWhenTheTtlChanged() {
    Instant t0 = Instant.parse("2026-03-10T03:00:00Z");
    InMemoryGrantStore store = new InMemoryGrantStore();
    List<String> out = new ArrayList<>();
    GrantRules thirty = new GrantRules(policy(Duration.ofMinutes(30)));
    GrantRules.Sink sink = recording(out, thirty);
    thirty.reconcile(t0.toEpochMilli(), store, sink);
    thirty.onLogin(
        TestEvents.login(t0).setClientIp("203.0.113.5").build(),
        "203.0.113.5",
        t0.toEpochMilli(),
        store,
        sink);
    Instant t5 = t0.plus(Duration.ofMinutes(5));
    thirty.onLogin(
        TestEvents.login(t5).setClientIp("203.0.113.6").build(),
        "203.0.113.6",
        t5.toEpochMilli(),
        store,
        sink);
    assertThat(out)
        .containsExactly(
            "upsert 203.0.113.5 until 2026-03-10T03:30:00Z",
            "upsert 203.0.113.6 until 2026-03-10T03:35:00Z");
    out.clear();

    // restarted with a 5 minute TTL at 03:08: one grant has ended under it, one lives until 03:10
    GrantRules five = new GrantRules(policy(Duration.ofMinutes(5)));
    GrantRules.Sink fiveSink = recording(out, five);
    long t8 = t0.plus(Duration.ofMinutes(8)).toEpochMilli();
    assertThat(five.reconcile(t8, store, fiveSink)).isEqualTo(2);
    assertThat(out)
        .containsExactly(
            "tombstone 203.0.113.5 EXPIRED", "upsert 203.0.113.6 until 2026-03-10T03:10:00Z");
    out.clear();
    assertThat(five.reconcile(t8, store, fiveSink)).as("nothing left to change").isZero();
    assertThat(thirty.reconcile(t8 - 1, new InMemoryGrantStore(), sink)).isZero();

    five.expire(t0.plus(Duration.ofMinutes(10)).toEpochMilli() - 1, store, fiveSink);
    assertThat(out).isEmpty();
    five.expire(t0.plus(Duration.ofMinutes(10)).toEpochMilli(), store, fiveSink);
    assertThat(out)
        .as("filed again for its new expiry")
        .containsExactly("tombstone 203.0.113.6 EXPIRED");
  }

  // ---- each rule, driven through the rules' own seams: an in-memory Store, a recording Sink

  private static final Instant T0 = Instant.parse("2026-03-10T03:00:00Z");
  private static final Duration TTL = Duration.ofMinutes(30);

  private final GrantRules rules = new GrantRules(policy(TTL));
  private final InMemoryGrantStore store = new InMemoryGrantStore();
  private final List<String> out = new ArrayList<>();
  private final GrantRules.Sink sink = recording(out, rules);

  private Refusal login(LoginEvent event, Instant now) {
    return login(rules, event, now);
  }

  private Refusal login(GrantRules with, LoginEvent event, Instant now) {
    String key = with.validate(event, now.toEpochMilli());
    return with.onLogin(event, key, now.toEpochMilli(), store, recording(out, with));
  }

  private static LoginEvent alice(Instant at) {
    return TestEvents.login(at).build();
  }

  @Test
  void aSuccessfulLoginGrantsForTheTtlFromItsEventTime() {
    assertThat(login(alice(T0), T0.plusSeconds(1))).isNull();
    assertThat(out).containsExactly("upsert 203.0.113.5 until 2026-03-10T03:30:00Z");
    rules.expire(T0.plus(TTL).toEpochMilli() - 1, store, sink);
    assertThat(out).hasSize(1);
    rules.expire(T0.plus(TTL).toEpochMilli(), store, sink);
    assertThat(out).endsWith("tombstone 203.0.113.5 EXPIRED");
  }

  @Test
  void aLoginWithinTheTtlExtendsTheGrantAndALaterOneStartsANewGrant() {
    login(alice(T0), T0);
    login(alice(T0.plus(Duration.ofMinutes(20))), T0.plus(Duration.ofMinutes(20)));
    assertThat(out)
        .containsExactly(
            "upsert 203.0.113.5 until 2026-03-10T03:30:00Z",
            "upsert 203.0.113.5 until 2026-03-10T03:50:00Z");
    rules.expire(T0.plus(Duration.ofMinutes(50)).toEpochMilli(), store, sink);
    Instant later = T0.plus(Duration.ofMinutes(60));
    login(alice(later), later);
    assertThat(out)
        .containsExactly(
            "upsert 203.0.113.5 until 2026-03-10T03:30:00Z",
            "upsert 203.0.113.5 until 2026-03-10T03:50:00Z",
            "tombstone 203.0.113.5 EXPIRED",
            "upsert 203.0.113.5 until 2026-03-10T04:30:00Z");
  }

  @Test
  void anEarlierLoginNeverShortensTheGrantOfALaterOne() {
    Instant ahead = T0.plus(Duration.ofMinutes(1)); // within the 2 min skew
    login(alice(ahead), T0);
    login(alice(T0.minus(Duration.ofMinutes(40))), T0); // chains with nothing: expired
    login(alice(T0.minusSeconds(10)), T0);
    assertThat(out)
        .containsExactly(
            "upsert 203.0.113.5 until 2026-03-10T03:31:00Z",
            "refused EXPIRED_ON_ARRIVAL",
            "upsert 203.0.113.5 until 2026-03-10T03:31:00Z");
  }

  @Test
  void whatIsNotASuccessfulSessionEventGrantsNothing() {
    assertThat(login(TestEvents.login(T0).setOutcome(Outcome.FAILURE).build(), T0))
        .isEqualTo(Refusal.NOT_SUCCESSFUL);
    assertThat(login(TestEvents.login(T0).setKind(LoginKind.UNKNOWN).build(), T0))
        .isEqualTo(Refusal.NOT_A_SESSION_EVENT);
    assertThat(login(alice(T0.minus(TTL)), T0)).isEqualTo(Refusal.EXPIRED_ON_ARRIVAL);
    assertThat(out)
        .containsExactly(
            "refused NOT_SUCCESSFUL", "refused NOT_A_SESSION_EVENT", "refused EXPIRED_ON_ARRIVAL");
    assertThat(store.keyCount()).isZero();
  }

  @Test
  void aLoginFromANeverGrantNetworkGrantsNothing() {
    GrantRules cgnat = new GrantRules(policy(TTL).withNeverGrant(CidrSet.parse("100.64.0.0/10")));
    assertThat(login(cgnat, TestEvents.login(T0).setClientIp("100.64.7.9").build(), T0))
        .isEqualTo(Refusal.NEVER_GRANT_NETWORK);
    assertThat(login(cgnat, alice(T0), T0)).isNull();
    assertThat(out)
        .containsExactly(
            "refused NEVER_GRANT_NETWORK", "upsert 203.0.113.5 until 2026-03-10T03:30:00Z");
  }

  @Test
  void aRedeliveredEventIsAppliedOnce() {
    LoginEvent event = alice(T0);
    assertThat(login(event, T0)).isNull();
    assertThat(login(event, T0.plusSeconds(5))).isEqualTo(Refusal.DUPLICATE);
    assertThat(out)
        .containsExactly("upsert 203.0.113.5 until 2026-03-10T03:30:00Z", "refused DUPLICATE");
  }

  @Test
  void moreUsersThanTheCapMakeASharedAddressThatGrantsNothing() {
    GrantRules capped = new GrantRules(policy(TTL).withMaxUsersPerKey(2));
    login(capped, TestEvents.login(T0).setUsername("alice").build(), T0);
    login(capped, TestEvents.login(T0).setUsername("bob").build(), T0);
    assertThat(login(capped, TestEvents.login(T0).setUsername("carol").build(), T0))
        .isEqualTo(Refusal.SHARED_ADDRESS);
    assertThat(out)
        .containsExactly(
            "upsert 203.0.113.5 until 2026-03-10T03:30:00Z",
            "upsert 203.0.113.5 until 2026-03-10T03:30:00Z",
            "tombstone 203.0.113.5 SHARED_ADDRESS",
            "refused SHARED_ADDRESS");
    // the session stays shared: a fourth login of the first user grants nothing either
    assertThat(login(capped, TestEvents.login(T0.plusSeconds(1)).build(), T0.plusSeconds(1)))
        .isEqualTo(Refusal.SHARED_ADDRESS);
  }

  @Test
  void aUserRevocationEndsThatUsersPartAndRefusesTheirEarlierLogins() {
    login(TestEvents.login(T0).setUsername("alice").build(), T0);
    login(TestEvents.login(T0.plusSeconds(60)).setUsername("bob").build(), T0.plusSeconds(60));
    out.clear();
    Instant revoked = T0.plusSeconds(120);
    rules.onRevocation(TestEvents.revokeUser("bob", revoked), revoked.toEpochMilli(), store, sink);
    // alice's login alone remains: the grant runs until her login's expiry
    assertThat(out).containsExactly("upsert 203.0.113.5 until 2026-03-10T03:30:00Z");
    Instant late = T0.plusSeconds(90); // dated before the revocation, arriving after it
    assertThat(login(TestEvents.login(late).setUsername("bob").build(), revoked))
        .isEqualTo(Refusal.REVOKED_USER);
    rules.onRevocation(
        TestEvents.revokeUser("alice", revoked), revoked.toEpochMilli(), store, sink);
    assertThat(out).endsWith("tombstone 203.0.113.5 REVOKED");
  }

  @Test
  void aKeyRevocationOfACoveringPrefixEndsTheGrantAndRefusesEarlierLogins() {
    login(alice(T0), T0);
    Instant revoked = T0.plusSeconds(30);
    rules.onRevocation(
        TestEvents.revokeKey("203.0.113.0/24", revoked), revoked.toEpochMilli(), store, sink);
    assertThat(login(alice(T0.plusSeconds(10)), revoked)).isEqualTo(Refusal.REVOKED_KEY);
    Instant after = T0.plusSeconds(31);
    assertThat(login(alice(after), after)).isNull();
    assertThat(out)
        .containsExactly(
            "upsert 203.0.113.5 until 2026-03-10T03:30:00Z",
            "tombstone 203.0.113.5 REVOKED",
            "refused REVOKED_KEY",
            "upsert 203.0.113.5 until 2026-03-10T03:30:31Z");
  }

  @Test
  void validationNamesTheBadFieldOrValue() {
    long now = T0.toEpochMilli();
    assertThatThrownBy(
            () -> rules.validate(TestEvents.login(T0).setClientIp("mail.example").build(), now))
        .isInstanceOf(InvalidEventException.class)
        .hasMessageStartingWith("clientIp: ");
    assertThatThrownBy(() -> rules.validate(TestEvents.login(T0).setUsername(" ").build(), now))
        .hasMessage("username is missing or blank");
    assertThatThrownBy(
            () -> rules.validate(TestEvents.login(T0).setUsername("al\nice").build(), now))
        .hasMessage("username contains a control character");
    assertThatThrownBy(() -> rules.validate(alice(T0.plus(Duration.ofMinutes(3))), now))
        .hasMessageContaining("is more than the allowed skew PT2M in the future");
    assertThat(rules.validate(TestEvents.login(T0).setClientIp("::ffff:203.0.113.5").build(), now))
        .isEqualTo("203.0.113.5");
  }

  private static GrantPolicy policy(Duration ttl) {
    return new GrantPolicy(
        ttl,
        Duration.ofMinutes(2),
        Duration.ofMinutes(1),
        Duration.ofSeconds(1),
        new GrantKeys(32, 128),
        CidrSet.parse(""),
        0);
  }

  private static GrantRules.Sink recording(List<String> out, GrantRules rules) {
    return new GrantRules.Sink() {
      @Override
      public void upsert(String key, KeyState state, GrantState session, boolean created) {
        out.add("upsert " + key + " until " + rules.toGrant(key, session).getExpiresAt());
      }

      @Override
      public void tombstone(String key, KeyState state, GrantRules.Ended why, long expiresAt) {
        out.add("tombstone " + key + " " + why);
      }

      @Override
      public void refused(Refusal why) {
        out.add("refused " + why);
      }
    };
  }
}
