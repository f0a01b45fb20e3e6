package org.popbeforesmtp.audit;

import java.util.List;
import java.util.Set;

/**
 * A span during which {@code relay.grants} held a live grant for one key: edges answered "allowed"
 * for every instant in {@code [from, until)}.
 *
 * @param from when the grant reached relay.grants (the arrival of the login that opened it): edges
 *     could answer "allowed" from then on
 * @param until when it stopped granting: the expiry, or when a revocation or the shared-address cap
 *     ended it
 * @param endedBy who ended it and why (revocations), else empty
 * @param grantedAt the session's start by the grant rules: its first login's event time (before
 *     {@code from} when a late login re-opened a session that had already expired)
 * @param startsBeforeReplay the first login lies within a TTL of where the replay began reading, so
 *     the session may have started earlier than {@code grantedAt} (chained from older logins)
 * @param eventCount distinct session events in the grant
 * @param users every user whose logins took part
 * @param events the logins that opened and extended it, oldest first (the first and the latest
 *     {@link GrantTimeline#EVENTS_KEPT} when there were more)
 * @param eventsOmitted how many logins were left out of {@code events}
 */
public record GrantInterval(
    String key,
    long from,
    long until,
    Ending ending,
    String endedBy,
    long grantedAt,
    boolean startsBeforeReplay,
    int eventCount,
    Set<String> users,
    List<Contribution> events,
    int eventsOmitted) {

  /** How an interval ended. */
  public enum Ending {
    /** TTL after its latest login. */
    EXPIRED,
    /** A revocation of its key or of every user in it. */
    REVOKED,
    /** Too many distinct users: a shared address that grants nothing. */
    SHARED_ADDRESS,
    /** Ended early, reason unknown (built from relay.grants, which carries no reason). */
    ENDED,
    /** Still granting when the replay stopped; {@code until} is the expiry it had then. */
    RUNNING
  }

  public GrantInterval {
    users = Set.copyOf(users);
    events = List.copyOf(events);
  }

  /** True when edges answered "allowed" for this key at {@code at}. */
  public boolean covers(long at) {
    return from <= at && at < until;
  }

  /** True when the interval shares an instant with {@code [start, end]}. */
  public boolean overlaps(long start, long end) {
    return until > start && from <= end;
  }
}
