package org.popbeforesmtp.grants;

/**
 * Names of the grant topology's state stores and internal topics. Renaming one loses its state (its
 * changelog topic is named after it): treat these as a public contract.
 *
 * <p>Why this layout: a login used to touch six stores (sessions, published grant, expiry index,
 * user index, seen event ids, revocations), about eight RocksDB operations and as many changelog
 * sends. Now everything about one grant key is one value in {@link #KEY_STATE}, read once and
 * written once per accepted login; the expiry index is written only when a key first gets state or
 * a revocation moves its due time earlier (see {@link GrantRules.Store}); revocations are read from
 * memory. Writes to one key within a commit interval reach RocksDB and the changelog once: key
 * states are written back by the processor at each commit. The expiry index is written once per new
 * key, so it has no record cache (it would collapse almost nothing and cost its flush).
 *
 * <p>There is no user index (there was one up to 2026-12: 0.44 of the 1.67 writes per login on a
 * realistic mix, a changelog record whenever a key got a new user). Which keys a user holds is
 * asked only by a user revocation and by the per-user HTTP query, both rare, and answered by a scan
 * of the task's key states (each holds its published grant's users), paid by the revocation instead
 * of by every login: 0.3–0.5 s for 200,000 keys in one task (measured through the test driver on
 * RocksDB), during which that task's logins wait.
 */
public final class StoreNames {
  private StoreNames() {}

  /**
   * Key-value store: grant key → {@link KeyState} (sessions in retention, the published grant, seen
   * event ids, its expiry-index entry). Queryable: the HTTP API reads it.
   */
  public static final String KEY_STATE = "grant-key-state";

  /**
   * Key-value store: at (8 bytes, big-endian) + grant key → nothing; time-ordered, one entry per
   * key with state, filed no later than the key must be looked at again.
   */
  public static final String EXPIRY_INDEX = "grant-expiry-index";

  /** Key-value store: "u:" + user or "k:" + key/prefix → revokedAt. */
  public static final String REVOCATIONS = "revocations";

  /**
   * Key-value store, cached: "published" → the task's count of published grants (the live gauge).
   * Its record cache's flush, before every commit, is when the processor writes back key states.
   */
  public static final String COUNTERS = "grant-counters";

  /** Repartition topic suffix for logins a producer keyed by something else than the grant key. */
  public static final String REKEY_REPARTITION = "logins-by-grant-key";

  /** Repartition topic suffix carrying every revocation to every task. */
  public static final String REVOCATION_BROADCAST = "revocations-broadcast";
}
