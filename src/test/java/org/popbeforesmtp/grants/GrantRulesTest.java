package org.popbeforesmtp.grants;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
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
