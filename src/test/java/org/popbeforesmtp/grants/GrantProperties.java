package org.popbeforesmtp.grants;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.apache.kafka.streams.test.TestRecord;
import org.popbeforesmtp.audit.AuditReplay;
import org.popbeforesmtp.audit.GrantInterval;
import org.popbeforesmtp.audit.GrantTimeline;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.LoginKind;
import org.popbeforesmtp.avro.Outcome;
import org.popbeforesmtp.avro.Protocol;
import org.popbeforesmtp.avro.RelayGrant;
import org.popbeforesmtp.avro.Revocation;
import org.popbeforesmtp.testing.GrantDriver;
import org.popbeforesmtp.testing.Intervals;
import org.popbeforesmtp.testing.TestEvents;

/**
 * The grant invariants over random histories (random order, duplicates, revocations, several users
 * and keys, clock advances), checked against the production topology after every step:
 *
 * <ol>
 *   <li>a key is granted at {@code now} iff a successful session event of that key, accepted on
 *       arrival and not revoked, is dated in {@code (now - ttl, now + skew]}, and the grant expires
 *       ttl after the latest such event;
 *   <li>after each expiry scan, relay.grants compacted per key holds exactly the live grants;
 *   <li>{@link GrantRules} on an {@link InMemoryGrantStore} (as audit replay runs it) emits the
 *       same records as the topology;
 *   <li>{@link AuditReplay} finds the same grant intervals as the topology's relay.grants output
 *       read by the same {@link GrantTimeline}.
 * </ol>
 */
class GrantProperties {
  private static final Duration TTL = Duration.ofMinutes(30);
  private static final Duration SKEW = Duration.ofMinutes(2);
  private static final List<String> KEYS =
      List.of("203.0.113.5", "203.0.113.6", "2001:db8::1", "2001:db8::2");
  private static final List<String> USERS = List.of("alice", "bob", "carol");

  sealed interface Step permits Login, Duplicate, Revoke, Advance {}

  record Login(int key, int user, long offsetSeconds, boolean success, LoginKind kind)
      implements Step {}

  record Duplicate(int index) implements Step {}

  record Revoke(boolean user, int target) implements Step {}

  record Advance(int seconds) implements Step {}

  @Provide
  Arbitrary<List<Step>> histories() {
    Arbitrary<Step> login =
        Combinators.combine(
                Arbitraries.integers().between(0, KEYS.size() - 1),
                Arbitraries.integers().between(0, USERS.size() - 1),
                Arbitraries.longs().between(-TTL.toSeconds() - 120, SKEW.toSeconds() + 60),
                Arbitraries.frequency(Tuple.of(4, true), Tuple.of(1, false)),
                Arbitraries.of(LoginKind.LOGIN, LoginKind.HEARTBEAT, LoginKind.LOGOUT))
            .as(Login::new);
    Arbitrary<Step> duplicate = Arbitraries.integers().between(0, 50).map(Duplicate::new);
    Arbitrary<Step> revoke =
        Combinators.combine(Arbitraries.of(true, false), Arbitraries.integers().between(0, 3))
            .as(Revoke::new);
    Arbitrary<Step> advance = Arbitraries.integers().between(1, 1200).map(Advance::new);
    return Arbitraries.frequencyOf(
            Tuple.of(10, login), Tuple.of(2, duplicate), Tuple.of(1, revoke), Tuple.of(5, advance))
        .list()
        .ofMinSize(1)
        .ofMaxSize(60);
  }

  /** An accepted delivery of an event. */
  record Delivery(LoginEvent event, String key, long arrival) {}

  record Revoked(boolean user, String target, long at) {}

  @Property(tries = 60)
  void topologyKeepsTheInvariantsAndAgreesWithReplay(@ForAll("histories") List<Step> history) {
    GrantPolicy policy = GrantPolicy.defaults().withTtl(TTL);
    GrantRules rules = new GrantRules(policy);
    InMemoryGrantStore replayStore = new InMemoryGrantStore();
    List<TestRecord<String, RelayGrant>> replayed = new ArrayList<>();
    GrantRules.Sink replaySink = new ReplaySink(replayed, rules);
    Path dir = tempDir();
    List<LoginEvent> sent = new ArrayList<>();
    List<Delivery> accepted = new ArrayList<>();
    List<Revoked> revoked = new ArrayList<>();
    Map<String, RelayGrant> table = new LinkedHashMap<>();
    List<TestRecord<String, RelayGrant>> live = new ArrayList<>();
    List<GrantInterval> audited = new ArrayList<>();
    List<GrantInterval> liveIntervals = new ArrayList<>();
    AuditReplay audit = new AuditReplay(policy, 0L, audited::add, refused -> {});
    GrantTimeline liveTimeline = new GrantTimeline(policy, 0L, liveIntervals::add);

    try (GrantDriver d = new GrantDriver(policy, dir)) {
      for (Step step : history) {
        long now = d.now().toEpochMilli();
        if (step instanceof Login l) {
          LoginEvent event =
              TestEvents.login(Instant.ofEpochMilli(now + l.offsetSeconds() * 1000))
                  .setClientIp(KEYS.get(l.key()))
                  .setUsername(USERS.get(l.user()))
                  .setOutcome(l.success() ? Outcome.SUCCESS : Outcome.FAILURE)
                  .setKind(l.kind())
                  .setProtocol(Protocol.IMAP)
                  .build();
          sent.add(event);
          deliver(d, rules, replayStore, replaySink, event, now, accepted);
          audit.login(event, now);
        } else if (step instanceof Duplicate dup) {
          if (!sent.isEmpty()) {
            LoginEvent event = sent.get(dup.index() % sent.size());
            deliver(d, rules, replayStore, replaySink, event, now, accepted);
            audit.login(event, now);
          }
        } else if (step instanceof Revoke r) {
          String target = r.user() ? USERS.get(r.target() % USERS.size()) : KEYS.get(r.target());
          Revocation revocation =
              r.user()
                  ? TestEvents.revokeUser(target, d.now())
                  : TestEvents.revokeKey(target, d.now());
          revoked.add(new Revoked(r.user(), target, now));
          d.revoke(revocation);
          rules.onRevocation(revocation, now, replayStore, replaySink);
          audit.revocation(revocation, now);
        } else if (step instanceof Advance a) {
          d.advance(Duration.ofSeconds(a.seconds()));
          long later = d.now().toEpochMilli();
          rules.expire(later, replayStore, replaySink);
          rules.purge(later, replayStore);
        }
        List<TestRecord<String, RelayGrant>> emitted = d.emitted();
        live.addAll(emitted);
        for (TestRecord<String, RelayGrant> r : emitted) {
          if (r.value() == null) {
            liveTimeline.tombstone(r.key(), GrantInterval.Ending.ENDED, "", r.timestamp());
          } else {
            liveTimeline.upsert(r.value(), r.timestamp());
          }
        }
        GrantDriver.compact(table, emitted);
        long at = d.now().toEpochMilli();
        Map<String, Long> expected = oracle(accepted, revoked, at);

        // (1) granted iff a qualifying event exists; expiry ttl after the latest
        Map<String, Long> granted = new HashMap<>();
        table.forEach(
            (k, g) -> {
              if (g.getExpiresAt().toEpochMilli() > at) {
                granted.put(k, g.getExpiresAt().toEpochMilli());
              }
            });
        assertThat(granted).as("live grants at %s after %s", d.now(), step).isEqualTo(expected);
        // (2) right after an expiry scan the compacted topic holds only live grants
        if (step instanceof Advance) {
          assertThat(table.keySet()).as("compacted relay.grants").isEqualTo(expected.keySet());
        }
      }
      // (3) replay through GrantRules emits exactly what the topology emitted
      assertThat(strip(replayed)).isEqualTo(strip(live));
      // (4) audit replay finds the intervals relay.grants had
      long end = d.now().toEpochMilli();
      audit.finish(end);
      liveTimeline.finish(end);
      assertThat(Intervals.project(audited)).isEqualTo(Intervals.project(liveIntervals));
    } finally {
      deleteRecursively(dir);
    }
  }

  private static void deliver(
      GrantDriver d,
      GrantRules rules,
      InMemoryGrantStore store,
      GrantRules.Sink sink,
      LoginEvent event,
      long now,
      List<Delivery> accepted) {
    d.login(event);
    String key;
    try {
      key = rules.validate(event, now);
    } catch (InvalidEventException e) {
      assertThat(d.deadLetters.readRecordsToList()).as("dead-lettered: " + e).hasSize(1);
      return;
    }
    assertThat(d.deadLetters.isEmpty()).isTrue();
    rules.onLogin(event, key, now, store, sink);
    long time = event.getEventTime().toEpochMilli();
    if (event.getOutcome() == Outcome.SUCCESS && time + TTL.toMillis() > now) {
      accepted.add(new Delivery(event, key, now));
    }
  }

  /** Live grants by the contract alone: key → expiresAt. */
  private static Map<String, Long> oracle(
      List<Delivery> accepted, List<Revoked> revoked, long now) {
    Map<String, Long> expected = new HashMap<>();
    for (Delivery delivery : accepted) {
      long time = delivery.event().getEventTime().toEpochMilli();
      if (time + TTL.toMillis() <= now) {
        continue;
      }
      boolean isRevoked =
          revoked.stream()
              .anyMatch(
                  r ->
                      r.at() >= time
                          && (r.user()
                              ? r.target().equals(delivery.event().getUsername())
                              : r.target().equals(delivery.key())));
      if (!isRevoked) {
        expected.merge(delivery.key(), time + TTL.toMillis(), Math::max);
      }
    }
    return expected;
  }

  private static List<String> strip(List<TestRecord<String, RelayGrant>> records) {
    return records.stream().map(r -> r.key() + "=" + r.value()).toList();
  }

  private record ReplaySink(List<TestRecord<String, RelayGrant>> out, GrantRules rules)
      implements GrantRules.Sink {
    @Override
    public void upsert(String key, KeyState state, GrantState session, boolean created) {
      out.add(new TestRecord<>(key, rules.toGrant(key, session)));
    }

    @Override
    public void tombstone(String key, KeyState state, GrantRules.Ended why, long expiresAt) {
      out.add(new TestRecord<>(key, (RelayGrant) null));
    }

    @Override
    public void refused(Refusal why) {}
  }

  private static Path tempDir() {
    try {
      return Files.createTempDirectory("grant-props");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
