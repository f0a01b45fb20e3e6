package org.popbeforesmtp.grants;

/**
 * Names of the grant topology's state stores and internal topics. Renaming one loses its state (its
 * changelog topic is named after it): treat these as a public contract.
 */
public final class StoreNames {
  private StoreNames() {}

  /** Session store: grant key → {@link GrantState} per session window (queryable). */
  public static final String GRANTS = "grants";

  /** Key-value store: grant key → expiresAt of its published grant. */
  public static final String PUBLISHED = "grants-published";

  /** Key-value store: expiresAt (8 bytes, big-endian) + grant key → users; time-ordered. */
  public static final String EXPIRY_INDEX = "grants-expiry-index";

  /** Key-value store: username + 0x00 + grant key → nothing; which keys a user holds. */
  public static final String USER_INDEX = "grants-user-index";

  /** Window store: event id → event time, to drop duplicates within the TTL. */
  public static final String SEEN_EVENTS = "seen-event-ids";

  /** Key-value store: "u:" + user or "k:" + key/prefix → revokedAt. */
  public static final String REVOCATIONS = "revocations";

  /** Repartition topic suffix for logins a producer keyed by something else than the grant key. */
  public static final String REKEY_REPARTITION = "logins-by-grant-key";

  /** Repartition topic suffix carrying every revocation to every task. */
  public static final String REVOCATION_BROADCAST = "revocations-broadcast";
}
