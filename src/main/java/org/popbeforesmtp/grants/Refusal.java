package org.popbeforesmtp.grants;

import java.util.Locale;

/** Why a login event granted nothing. Each reason is counted in a metric. */
public enum Refusal {
  /** Outcome FAILURE (or an unknown outcome): kept for audit, never grants. */
  NOT_SUCCESSFUL,
  /** A kind that is not LOGIN, HEARTBEAT or LOGOUT (e.g. added later). */
  NOT_A_SESSION_EVENT,
  /** The client address lies in a never-grant network. */
  NEVER_GRANT_NETWORK,
  /** Too many distinct users from one key within the TTL: a shared address. */
  SHARED_ADDRESS,
  /** The event was already older than the TTL when it arrived. */
  EXPIRED_ON_ARRIVAL,
  /** The user was revoked after this event was dated. */
  REVOKED_USER,
  /** The key (or a prefix covering it) was revoked after this event was dated. */
  REVOKED_KEY,
  /** An event with this id was already applied. */
  DUPLICATE;

  // built once: a replay names the reason of every refused login (failed logins are most of them)
  private final String metricName = name().toLowerCase(Locale.ROOT).replace('_', '-');

  /** Metric-friendly name, e.g. {@code never-grant-network}. */
  public String metricName() {
    return metricName;
  }
}
