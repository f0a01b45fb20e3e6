package org.popbeforesmtp.grants;

import java.time.Duration;
import org.popbeforesmtp.net.CidrSet;
import org.popbeforesmtp.net.GrantKeys;
import org.popbeforesmtp.text.Durations;

/**
 * The rules' settings (DESIGN section 4).
 *
 * @param ttl how long a successful session event grants relay (default 30 min)
 * @param maxFutureSkew how far in the future an event may be dated (clock skew); later ones go to
 *     the dead-letter topic (default 2 min)
 * @param grace extra time a session is kept, for clock and segment slack (see {@link
 *     #sessionRetention()})
 * @param expiryScanInterval how often (wall clock) expired grants are looked for and tombstoned
 * @param keys how client addresses map to grant keys (per address, or per prefix)
 * @param neverGrant networks whose logins never grant (e.g. CGNAT pools)
 * @param maxUsersPerKey more distinct users than this in one grant session marks the key as a
 *     shared address that grants nothing; 0 disables the cap
 */
public record GrantPolicy(
    Duration ttl,
    Duration maxFutureSkew,
    Duration grace,
    Duration expiryScanInterval,
    GrantKeys keys,
    CidrSet neverGrant,
    int maxUsersPerKey) {

  public GrantPolicy {
    requirePositive("ttl", ttl);
    requireNotNegative("max future skew", maxFutureSkew);
    requireNotNegative("grace", grace);
    requirePositive("expiry scan interval", expiryScanInterval);
    if (keys == null || neverGrant == null) {
      throw new IllegalArgumentException("grant keys and never-grant networks are required");
    }
    if (maxUsersPerKey < 0) {
      throw new IllegalArgumentException(
          "max users per key " + maxUsersPerKey + " must be 0 (no cap) or more");
    }
  }

  /**
   * The rules' default durations as operators write them: the one place they are stated (the
   * processor's settings, the flags' help and {@link #defaults()} read them from here).
   */
  public static final String DEFAULT_TTL = "30m";

  public static final String DEFAULT_MAX_FUTURE_SKEW = "2m";
  public static final String DEFAULT_GRACE = "1m";
  public static final String DEFAULT_EXPIRY_SCAN_INTERVAL = "1s";

  /** TTL 30 min, skew 2 min, grace 1 min, scan every second, per-address keys, no cap. */
  public static GrantPolicy defaults() {
    return new GrantPolicy(
        Durations.parse("ttl", DEFAULT_TTL),
        Durations.parse("max.future.skew", DEFAULT_MAX_FUTURE_SKEW),
        Durations.parse("grace", DEFAULT_GRACE),
        Durations.parse("expiry.scan.interval", DEFAULT_EXPIRY_SCAN_INTERVAL),
        GrantKeys.PER_ADDRESS,
        CidrSet.empty(),
        0);
  }

  public GrantPolicy withTtl(Duration value) {
    return new GrantPolicy(
        value, maxFutureSkew, grace, expiryScanInterval, keys, neverGrant, maxUsersPerKey);
  }

  public GrantPolicy withNeverGrant(CidrSet value) {
    return new GrantPolicy(
        ttl, maxFutureSkew, grace, expiryScanInterval, keys, value, maxUsersPerKey);
  }

  public GrantPolicy withMaxUsersPerKey(int value) {
    return new GrantPolicy(ttl, maxFutureSkew, grace, expiryScanInterval, keys, neverGrant, value);
  }

  public GrantPolicy withKeys(GrantKeys value) {
    return new GrantPolicy(
        ttl, maxFutureSkew, grace, expiryScanInterval, value, neverGrant, maxUsersPerKey);
  }

  /**
   * When a grant whose latest event is dated {@code lastEventAt} expires: TTL after it. The one
   * place the expiry arithmetic lives; the topology, interactive queries and audit all call it.
   */
  public long expiresAt(long lastEventAt) {
    return lastEventAt + ttl.toMillis();
  }

  /** Whether a grant expiring at {@code expiresAt} is live at {@code now}: expiry is exclusive. */
  public static boolean liveAt(long expiresAt, long now) {
    return now < expiresAt;
  }

  /** Whether one event dated {@code eventTime} alone grants at {@code at}: {@code [t, t + ttl)}. */
  public boolean grantsAt(long eventTime, long at) {
    return eventTime <= at && liveAt(expiresAt(eventTime), at);
  }

  /**
   * How long before an instant a login can be dated and still grant at it: the TTL, plus the skew a
   * login may be dated ahead (a replay asked about {@code t} reads from {@code t - lookBack}).
   */
  public Duration lookBack() {
    return ttl.plus(maxFutureSkew);
  }

  /**
   * Session retention, measured from a session's last event: its grant lives ttl, and a late event
   * (accepted while less than ttl old) may still chain into it up to ttl after that, dated up to
   * the skew ahead; grace covers the rest. State is bounded by the keys active in that span.
   */
  public Duration sessionRetention() {
    return ttl.multipliedBy(2).plus(maxFutureSkew).plus(grace);
  }

  private static void requirePositive(String what, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, got " + d);
    }
  }

  private static void requireNotNegative(String what, Duration d) {
    if (d == null || d.isNegative()) {
      throw new IllegalArgumentException(what + " must not be negative, got " + d);
    }
  }
}
