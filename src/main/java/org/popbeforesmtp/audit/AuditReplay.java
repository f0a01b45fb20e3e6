package org.popbeforesmtp.audit;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.kafka.common.utils.Utils;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.Revocation;
import org.popbeforesmtp.avro.RevocationScope;
import org.popbeforesmtp.grants.GrantPolicy;
import org.popbeforesmtp.grants.GrantRules;
import org.popbeforesmtp.grants.GrantState;
import org.popbeforesmtp.grants.InMemoryGrantStore;
import org.popbeforesmtp.grants.InvalidEventException;
import org.popbeforesmtp.grants.KeyState;
import org.popbeforesmtp.grants.Refusal;

/**
 * Replays login history through the live processor's {@link GrantRules} on one {@link
 * InMemoryGrantStore} (the rules keep nothing of one key that another reads, so how keys are spread
 * over stores changes no result: the live processor has one store per task), each record applied at
 * its arrival time (the record timestamp, when the processor could first see it), and expired
 * grants tombstoned as that clock passes their expiry. What the rules emit becomes {@link
 * GrantInterval}s.
 */
public final class AuditReplay implements HistoryReader.Listener {
  private static final long SWEEP_EVERY = 1_000;

  private final GrantRules rules;
  private final long skew;
  private final long purgeEvery;
  private final InMemoryGrantStore store = new InMemoryGrantStore();
  private final GrantTimeline timeline;
  private final Consumer<RefusedLogin> refused;
  private final Predicate<String> relevant;
  private final TimelineSink sink = new TimelineSink();
  private long nextSweep = Long.MIN_VALUE;
  private long nextPurge = Long.MIN_VALUE;

  /**
   * @param replayStart the earliest record time read
   * @param intervals receives each interval as it closes
   * @param refused receives every login that granted nothing (not duplicates)
   */
  public AuditReplay(
      GrantPolicy policy,
      long replayStart,
      Consumer<GrantInterval> intervals,
      Consumer<RefusedLogin> refused) {
    this(policy, replayStart, intervals, refused, key -> true);
  }

  /**
   * A replay that builds grants only for the keys {@code relevant} accepts. The rules keep nothing
   * of one key that another reads (event-id dedupe is per key), so other keys' logins are skipped.
   */
  public AuditReplay(
      GrantPolicy policy,
      long replayStart,
      Consumer<GrantInterval> intervals,
      Consumer<RefusedLogin> refused,
      Predicate<String> relevant) {
    this.relevant = relevant;
    this.rules = new GrantRules(policy);
    this.skew = policy.maxFutureSkew().toMillis();
    // purging is a full scan; when it runs never changes a result (what it forgets can no longer
    // chain or dedupe), so a replay, where hours pass in seconds, purges once per TTL
    this.purgeEvery = Math.max(60_000, policy.ttl().toMillis());
    this.timeline = new GrantTimeline(policy, replayStart, intervals, store::state);
    this.refused = refused;
  }

  /** The partition the live producers put {@code key} in: murmur2 of its UTF-8 bytes. */
  public static int partitionOf(String key, int partitions) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  /** Applies a login that reached Kafka at {@code arrival}. */
  @Override
  public void login(LoginEvent event, long arrival) {
    advance(arrival);
    String key;
    try {
      key = rules.validate(event, arrival);
    } catch (InvalidEventException e) {
      boolean future =
          event != null
              && event.getEventTime() != null
              && event.getEventTime().toEpochMilli() > arrival + skew;
      String ip = event == null || event.getClientIp() == null ? "" : event.getClientIp();
      refused.accept(
          new RefusedLogin(
              ip, event, future ? "future-dated" : "invalid", e.getMessage(), arrival));
      return;
    }
    if (!relevant.test(key)) {
      return;
    }
    sink.now = arrival;
    sink.endedBy = "";
    Refusal refusal = rules.onLogin(event, key, arrival, store, sink);
    if (refusal == null) {
      timeline.contributed(key, event, arrival);
    } else if (refusal != Refusal.DUPLICATE) {
      refused.accept(new RefusedLogin(key, event, refusal.metricName(), "", arrival));
    }
  }

  /** Applies a revocation that reached Kafka at {@code arrival}. */
  @Override
  public void revocation(Revocation revocation, long arrival) {
    advance(arrival);
    long at = revocation.getRevokedAt().toEpochMilli();
    sink.now = arrival;
    sink.endedBy =
        revocation.getScope().name().toLowerCase(Locale.ROOT)
            + " "
            + revocation.getTarget()
            + " revoked by "
            + revocation.getIssuedBy()
            + ": "
            + revocation.getReason();
    if (revocation.getScope() == RevocationScope.USER) {
      timeline.revokedUser(revocation.getTarget(), at);
    } else if (revocation.getScope() == RevocationScope.KEY) {
      String target;
      try {
        target = GrantRules.canonicalTarget(revocation.getTarget());
      } catch (InvalidEventException e) {
        return; // the live processor dead-letters it too
      }
      timeline.revokedKeys(key -> GrantRules.covers(target, key), at);
    } else {
      return;
    }
    rules.onRevocation(revocation, arrival, store, sink);
  }

  /** Ends the replay at {@code end}: grants still live then are reported as running. */
  public void finish(long end) {
    sweep(end);
    timeline.finish(end);
  }

  /** Moves the replay clock: tombstones what expired (each second), forgets old state (minute). */
  private void advance(long now) {
    if (now >= nextSweep) {
      sweep(now);
      nextSweep = now - now % SWEEP_EVERY + SWEEP_EVERY;
    }
    if (now >= nextPurge) {
      rules.purge(now, store);
      nextPurge = now + purgeEvery;
    }
  }

  private void sweep(long now) {
    sink.now = now;
    sink.endedBy = "";
    rules.expire(now, store, sink);
  }

  /** Feeds the rules' output into the timeline at the replay clock. */
  private final class TimelineSink implements GrantRules.Sink {
    long now;
    String endedBy = "";

    @Override
    public void upsert(String key, KeyState state, GrantState session, boolean created) {
      timeline.upsert(
          state,
          key,
          session.start(),
          rules.policy().expiresAt(session.end()),
          session.eventCount(),
          session.latest().username(),
          now);
    }

    @Override
    public void tombstone(String key, KeyState state, GrantRules.Ended why, long expiresAt) {
      GrantInterval.Ending ending =
          switch (why) {
            case EXPIRED -> GrantInterval.Ending.EXPIRED;
            case REVOKED -> GrantInterval.Ending.REVOKED;
            case SHARED_ADDRESS -> GrantInterval.Ending.SHARED_ADDRESS;
          };
      timeline.tombstone(state, key, ending, why == GrantRules.Ended.REVOKED ? endedBy : "", now);
    }

    @Override
    public void refused(Refusal why) {}
  }
}
