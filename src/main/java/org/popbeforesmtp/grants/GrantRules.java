package org.popbeforesmtp.grants;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.LoginKind;
import org.popbeforesmtp.avro.Outcome;
import org.popbeforesmtp.avro.RelayGrant;
import org.popbeforesmtp.avro.Revocation;
import org.popbeforesmtp.avro.RevocationScope;
import org.popbeforesmtp.net.GrantKeys;
import org.popbeforesmtp.net.InvalidAddressException;
import org.popbeforesmtp.net.IpAddress;
import org.popbeforesmtp.net.IpPrefix;

/**
 * The grant semantics of DESIGN section 4, with no Kafka types: the live topology and audit replay
 * both drive this class (through their own {@link Store}), so they cannot disagree.
 *
 * <p>A successful session event of key {@code k} at event time {@code t} grants {@code [t, t +
 * ttl)}. Events less than ttl apart chain into one session (a session window with inactivity gap
 * ttl); the grant expires ttl after the session's latest event. {@code now} is the caller's clock
 * (wall clock live); every change is reported to a {@link Sink}.
 */
public final class GrantRules {
  private final GrantPolicy policy;
  private final long ttl;
  private final long retention;

  /**
   * Whether a login's rules need its client address parsed: for never-grant networks, or when keys
   * are prefixes (a grant then names the address within it). Otherwise the key is the address.
   */
  private final boolean addressNeeded;

  public GrantRules(GrantPolicy policy) {
    this.policy = policy;
    this.addressNeeded =
        !policy.neverGrant().isEmpty() || !policy.keys().equals(GrantKeys.PER_ADDRESS);
    this.ttl = policy.ttl().toMillis();
    this.retention = policy.sessionRetention().toMillis();
  }

  public GrantPolicy policy() {
    return policy;
  }

  /**
   * An entry of the expiry index: look at {@code key} again at {@code at}.
   *
   * @param state the key's state as it was filed, from a store that keeps states as objects in
   *     memory and hands them back with the entry (no lookup by key); null when the store does not
   *     (it is read by key then)
   */
  public record Filed(long at, String key, KeyState state) {
    public Filed(long at, String key) {
      this(at, key, null);
    }
  }

  /** A key or prefix revocation in force. */
  public record KeyRevocation(String target, long revokedAt) {}

  /**
   * The state the rules keep, per task live (Kafka Streams stores) or in memory (replay). Only keys
   * of this store's partition are ever asked for.
   *
   * <p>A login reads its key's {@link KeyState} once and writes it at most once. The expiry index
   * holds one entry per key with state, filed no later than {@link KeyState#due}; it is written
   * only when a key first gets state or its due time moves earlier (a revocation), and re-filed
   * when the scan meets an entry that is not due yet. There is no user index: a user revocation
   * scans the key states.
   */
  public interface Store {
    /** The key's state, or null when it has none. */
    KeyState state(String key);

    void putState(String key, KeyState state);

    /** Deletes the key's state (it is empty: nothing published, nothing retained). */
    void removeState(String key, KeyState state);

    /**
     * Adds the key's expiry-index entry at {@code at}; {@code state} is the key's state object, for
     * a store that hands it back with the entry ({@link Filed#state()}).
     */
    void file(String key, long at, KeyState state);

    void unfile(String key, long at);

    /** Expiry-index entries with {@code at <= now}, by (at, key). Reads only those. */
    List<Filed> dueBy(long now);

    /** Every key with an expiry-index entry, i.e. with state (for prefix revocations, rare). */
    List<String> filedKeys();

    /**
     * Keys whose published grants hold a share of {@code user} ({@link KeyState#users()}). Asked
     * only by user revocations, which are rare: a scan of the key states, so that no login pays for
     * a user index.
     */
    List<String> keysOfUser(String user);

    Long userRevokedAt(String user);

    void putUserRevocation(String user, long revokedAt);

    List<KeyRevocation> keyRevocations();

    void putKeyRevocation(KeyRevocation revocation);

    /** Forgets revocations dated before {@code cutoff} (no event that old can grant any more). */
    void purgeBefore(long cutoff);

    /**
     * How long after its latest event a grant expired under the policy its published grants were
     * computed with ({@link GrantPolicy#expiresAt} of 0), or null before it was first recorded.
     */
    Long publishedExpiry();

    void publishedExpiry(long expiry);
  }

  /** Receives the changes: grant upserts and tombstones, and what was refused. */
  public interface Sink {
    /**
     * The grant of {@code key} (whose state is {@code state}) is now {@code session}'s: created, or
     * changed (extended, or what a revocation left). {@link #toGrant} gives its relay.grants value,
     * built only by a sink that writes it (audit replay reads the session's fields).
     */
    void upsert(String key, KeyState state, GrantState session, boolean created);

    /**
     * The grant of {@code key} (whose state is {@code state}) ended.
     *
     * @param expiresAt when the grant would have expired (for an expiry: how late the tombstone is)
     */
    void tombstone(String key, KeyState state, Ended why, long expiresAt);

    void refused(Refusal why);
  }

  /** Why a published grant ended. */
  public enum Ended {
    EXPIRED,
    REVOKED,
    SHARED_ADDRESS
  }

  /**
   * Checks what the topology cannot process at all; the record then goes to the dead-letter topic.
   *
   * @throws InvalidEventException naming the bad field or value
   * @return the client's grant key
   */
  public String validate(LoginEvent event, long now) {
    if (event == null) {
      throw new InvalidEventException("login event value is null");
    }
    requireText("eventId", event.getEventId());
    requireText("username", event.getUsername());
    requireText("serverId", event.getServerId());
    requireText("clientIp", event.getClientIp());
    if (event.getEventTime() == null) {
      throw new InvalidEventException("eventTime is missing");
    }
    if (event.getProtocol() == null || event.getKind() == null || event.getOutcome() == null) {
      throw new InvalidEventException("protocol, kind and outcome are required");
    }
    for (int i = 0; i < event.getUsername().length(); i++) {
      if (Character.isISOControl(event.getUsername().charAt(i))) {
        throw new InvalidEventException("username contains a control character");
      }
    }
    long time = event.getEventTime().toEpochMilli();
    long limit = now + policy.maxFutureSkew().toMillis();
    if (time > limit) {
      throw new InvalidEventException(
          "eventTime "
              + event.getEventTime()
              + " is more than the allowed skew "
              + policy.maxFutureSkew()
              + " in the future (now "
              + Instant.ofEpochMilli(now)
              + "); check the server's clock");
    }
    try {
      return policy.keys().keyOf(event.getClientIp());
    } catch (InvalidAddressException e) {
      throw new InvalidEventException("clientIp: " + e.getMessage(), e);
    }
  }

  private static void requireText(String field, String value) {
    if (value == null || value.isBlank()) {
      throw new InvalidEventException(field + " is missing or blank");
    }
    requireShort(field, value);
  }

  /**
   * Longest username, eventId, serverId, clientIp or revocation target accepted (an e-mail address
   * is at most 254): a longer one could not be published in a grant and is dead-lettered.
   */
  public static final int MAX_TEXT = 512;

  /** Refuses a text longer than {@link #MAX_TEXT}, naming the field. */
  public static void requireShort(String field, String value) {
    if (value.length() > MAX_TEXT) {
      throw new InvalidEventException(
          field + " is " + value.length() + " characters long; at most " + MAX_TEXT);
    }
  }

  /**
   * Applies one validated login event of grant key {@code key}: one read of the key's state, and
   * one write when the event is accepted.
   *
   * @return the refusal, or null when the event took part in a grant
   */
  public Refusal onLogin(LoginEvent event, String key, long now, Store store, Sink sink) {
    IpAddress client = addressNeeded ? IpAddress.parse(event.getClientIp()) : null;
    Refusal refusal = admit(event, client, key, now, store);
    if (refusal != null) {
      sink.refused(refusal);
      return refusal;
    }
    KeyState state = store.state(key);
    if (state == null) {
      state = new KeyState();
    }
    long time = event.getEventTime().toEpochMilli();
    if (!state.markSeen(event.getEventId(), time)) {
      sink.refused(Refusal.DUPLICATE);
      return Refusal.DUPLICATE;
    }
    // chain with every session whose grant was still running at t, or that starts before t's ends
    List<GrantState> overlapping = state.overlapping(time - ttl + 1, time + ttl - 1);
    GrantState.Share share =
        new GrantState.Share(
            event.getUsername(),
            time,
            time,
            1,
            event.getEventId(),
            // the canonical address: the key itself when keys are single addresses
            client == null || policy.keys().prefixLength(client) == client.bitLength()
                ? key
                : client.toString(),
            event.getProtocol(),
            event.getServerId());
    GrantState merged = GrantState.merge(overlapping, share, policy.maxUsersPerKey());
    state.replaceSessions(overlapping, merged);
    if (merged.sharedAddress()) {
      end(key, state, now, store, sink, Ended.SHARED_ADDRESS);
      save(key, state, now, store);
      sink.refused(Refusal.SHARED_ADDRESS);
      return Refusal.SHARED_ADDRESS;
    }
    publish(key, state, merged, now, store, sink, false);
    save(key, state, now, store);
    return null;
  }

  /**
   * The admission checks that need no key state (event-id dedupe comes after them); {@code client}
   * is null when no rule needs it.
   */
  private Refusal admit(LoginEvent event, IpAddress client, String key, long now, Store store) {
    if (event.getOutcome() != Outcome.SUCCESS) {
      return Refusal.NOT_SUCCESSFUL;
    }
    LoginKind kind = event.getKind();
    if (kind != LoginKind.LOGIN && kind != LoginKind.HEARTBEAT && kind != LoginKind.LOGOUT) {
      return Refusal.NOT_A_SESSION_EVENT;
    }
    if (client != null && policy.neverGrant().contains(client)) {
      return Refusal.NEVER_GRANT_NETWORK;
    }
    long time = event.getEventTime().toEpochMilli();
    if (!GrantPolicy.liveAt(policy.expiresAt(time), now)) {
      return Refusal.EXPIRED_ON_ARRIVAL;
    }
    Long userRevoked = store.userRevokedAt(event.getUsername());
    if (userRevoked != null && time <= userRevoked) {
      return Refusal.REVOKED_USER;
    }
    for (KeyRevocation r : store.keyRevocations()) {
      if (time <= r.revokedAt() && covers(r.target(), key)) {
        return Refusal.REVOKED_KEY;
      }
    }
    return null;
  }

  /**
   * Applies a revocation: matching grants end at once, and logins of the target dated at or before
   * {@code revokedAt} never grant (a revocation issued now ends everything seen so far).
   */
  public void onRevocation(Revocation revocation, long now, Store store, Sink sink) {
    long at = revocation.getRevokedAt().toEpochMilli();
    if (revocation.getScope() == RevocationScope.USER) {
      String user = revocation.getTarget();
      Long previous = store.userRevokedAt(user);
      if (previous == null || previous < at) {
        store.putUserRevocation(user, at);
      }
      // sorted: live and replay stores list keys in different orders, the emitted order must match
      for (String key : new TreeSet<>(store.keysOfUser(user))) {
        revoke(key, now, store, sink, share -> share.username().equals(user), at);
      }
    } else if (revocation.getScope() == RevocationScope.KEY) {
      String target = canonicalTarget(revocation.getTarget());
      store.putKeyRevocation(new KeyRevocation(target, at));
      Set<String> keys = new TreeSet<>();
      for (String key : store.filedKeys()) {
        if (covers(target, key)) {
          keys.add(key);
        }
      }
      for (String key : keys) {
        revoke(key, now, store, sink, share -> true, at);
      }
    } else {
      throw new InvalidEventException(
          "revocation scope " + revocation.getScope() + " is unknown: expected KEY or USER");
    }
  }

  private void revoke(
      String key, long now, Store store, Sink sink, Predicate<GrantState.Share> match, long at) {
    KeyState state = store.state(key);
    if (state != null && state.published()) {
      withoutShares(key, state, now, store, sink, match, at);
      save(key, state, now, store);
    }
  }

  /**
   * The canonical form of a revocation target key or prefix.
   *
   * @throws InvalidEventException when it is neither
   */
  public static String canonicalTarget(String target) {
    try {
      return GrantKeys.canonicalKey(target);
    } catch (InvalidAddressException e) {
      throw new InvalidEventException("revocation target: " + e.getMessage(), e);
    }
  }

  /**
   * Removes the matching users' events dated at or before {@code at} from every session of the key
   * and re-publishes what remains (or ends the grant).
   */
  private void withoutShares(
      String key,
      KeyState state,
      long now,
      Store store,
      Sink sink,
      Predicate<GrantState.Share> match,
      long at) {
    GrantState remaining = null;
    for (GrantState s : new ArrayList<>(state.sessions())) {
      List<GrantState.Share> kept = new ArrayList<>();
      for (GrantState.Share share : s.shares()) {
        if (!match.test(share) || share.lastAt() > at) {
          kept.add(
              !match.test(share) || share.firstAt() > at
                  ? share
                  : new GrantState.Share(
                      share.username(),
                      at + 1,
                      share.lastAt(),
                      share.count(),
                      share.eventId(),
                      share.clientIp(),
                      share.protocol(),
                      share.serverId()));
        }
      }
      if (kept.size() == s.shares().size() && kept.equals(s.shares())) {
        remaining = later(remaining, s, now);
        continue;
      }
      GrantState next = kept.isEmpty() ? null : new GrantState(kept, s.sharedAddress());
      state.replaceSessions(List.of(s), next);
      if (next != null) {
        remaining = later(remaining, next, now);
      }
    }
    if (remaining == null || remaining.sharedAddress()) {
      end(key, state, now, store, sink, Ended.REVOKED);
    } else {
      publish(key, state, remaining, now, store, sink, true);
    }
  }

  /** Of two sessions, the live one that ends last (null when neither is live). */
  private GrantState later(GrantState a, GrantState b, long now) {
    if (!GrantPolicy.liveAt(policy.expiresAt(b.end()), now)) {
      return a;
    }
    return a == null || b.end() > a.end() ? b : a;
  }

  /**
   * Tombstones every published grant that has expired by {@code now}, and forgets keys whose state
   * has left retention. Reads only the keys whose index entries are due; an entry filed before its
   * key's grant was extended is re-filed at the new expiry.
   */
  public void expire(long now, Store store, Sink sink) {
    for (Filed due : store.dueBy(now)) {
      store.unfile(due.key(), due.at());
      KeyState state = due.state() != null ? due.state() : store.state(due.key());
      if (state == null || state.filedAt() != due.at()) {
        continue; // an entry the key no longer owns
      }
      state.filedAt(0);
      long expiresAt = state.expiresAt();
      if (state.published() && !GrantPolicy.liveAt(expiresAt, now)) {
        state.unpublish();
        sink.tombstone(due.key(), state, Ended.EXPIRED, expiresAt);
      }
      save(due.key(), state, now, store);
    }
  }

  /**
   * Brings published grants in line with the policy when it differs from the one they were
   * published with (an operator lowered or raised the TTL and restarted): each published grant
   * whose expiry the policy now puts elsewhere is re-published with that expiry, or ended when it
   * has passed, and filed again for its new expiry; so the edges and the processor agree again at
   * once instead of when the old expiry comes. A grant that has ended stays ended (fail closed).
   * Does nothing when the policy gives the expiry the grants were published with.
   *
   * @return how many keys' grants changed
   */
  public int reconcile(long now, Store store, Sink sink) {
    long expiry = policy.expiresAt(0);
    Long before = store.publishedExpiry();
    if (before != null && before == expiry) {
      return 0;
    }
    int changed = 0;
    for (String key : store.filedKeys()) {
      KeyState state = store.state(key);
      if (state == null || !state.published()) {
        continue;
      }
      GrantState live = liveSession(state, now);
      long expiresAt = live == null ? 0 : policy.expiresAt(live.end());
      if (expiresAt == state.expiresAt()) {
        continue;
      }
      if (live == null) {
        end(key, state, now, store, sink, Ended.EXPIRED);
      } else {
        state.publish(expiresAt, live);
        sink.upsert(key, state, live, false);
      }
      if (state.filedAt() != 0) {
        store.unfile(key, state.filedAt());
        state.filedAt(0);
      }
      save(key, state, now, store);
      changed++;
    }
    store.publishedExpiry(expiry);
    return changed;
  }

  /** Forgets revocations that can no longer matter: the events they refuse have expired. */
  public void purge(long now, Store store) {
    store.purgeBefore(now - ttl);
  }

  /**
   * Writes the key's state back (its one write), first forgetting what left retention; files the
   * key in the expiry index when it has no entry or must be looked at earlier than its entry says.
   */
  private void save(String key, KeyState state, long now, Store store) {
    state.prune(now, ttl, retention);
    if (state.isEmpty()) {
      if (state.filedAt() != 0) {
        store.unfile(key, state.filedAt());
        state.filedAt(0); // an entry that still holds this object is then skipped as stale
      }
      store.removeState(key, state);
      return;
    }
    long due = state.due(ttl, retention);
    if (state.filedAt() == 0 || due < state.filedAt()) {
      if (state.filedAt() != 0) {
        store.unfile(key, state.filedAt());
      }
      store.file(key, due, state);
      state.filedAt(due);
    }
    store.putState(key, state);
  }

  private void publish(
      String key,
      KeyState state,
      GrantState session,
      long now,
      Store store,
      Sink sink,
      boolean mayShorten) {
    long expiresAt = policy.expiresAt(session.end());
    long before = state.expiresAt();
    if (!mayShorten && before > expiresAt) {
      return; // a later session of this key (dated ahead within the skew) holds the grant
    }
    if (!GrantPolicy.liveAt(expiresAt, now)) {
      end(key, state, now, store, sink, Ended.EXPIRED);
      return;
    }
    state.publish(expiresAt, session);
    sink.upsert(key, state, session, before == 0 || !GrantPolicy.liveAt(before, now));
  }

  private void end(String key, KeyState state, long now, Store store, Sink sink, Ended why) {
    long before = state.expiresAt();
    if (state.published()) {
      state.unpublish();
      sink.tombstone(key, state, GrantPolicy.liveAt(before, now) ? why : Ended.EXPIRED, before);
    }
  }

  /** The session of {@code state} that grants at {@code now}, or null (IQ answers with it). */
  public GrantState liveSession(KeyState state, long now) {
    GrantState best = null;
    if (state != null) {
      for (GrantState s : state.sessions()) {
        if (!s.sharedAddress()
            && GrantPolicy.liveAt(policy.expiresAt(s.end()), now)
            && (best == null || s.end() > best.end())) {
          best = s;
        }
      }
    }
    return best;
  }

  /** The relay.grants value of a session. */
  public RelayGrant toGrant(String key, GrantState state) {
    GrantState.Share latest = state.latest();
    long end = latest.lastAt();
    // the all-fields constructor: every field is set, so the builder's per-field bookkeeping and
    // validation buy nothing on this per-login path
    return new RelayGrant(
        key,
        latest.clientIp(),
        latest.username(),
        Instant.ofEpochMilli(state.start()),
        Instant.ofEpochMilli(end),
        Instant.ofEpochMilli(policy.expiresAt(end)),
        latest.eventId(),
        latest.protocol(),
        latest.serverId(),
        state.eventCount());
  }

  /**
   * True when a revocation {@code target} (canonical address or prefix) covers grant key {@code
   * key}: the target contains the key, or the key's prefix contains the target address.
   */
  public static boolean covers(String target, String key) {
    if (target.equals(key)) {
      return true;
    }
    IpPrefix t = IpPrefix.parse(target);
    IpPrefix k = IpPrefix.parse(key);
    if (t.network().isV4() != k.network().isV4()) {
      return false;
    }
    if (t.length() <= k.length()) {
      return t.contains(k.network());
    }
    return k.contains(t.network());
  }
}
