package org.popbeforesmtp.grants;

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

  public GrantRules(GrantPolicy policy) {
    this.policy = policy;
    this.ttl = policy.ttl().toMillis();
  }

  public GrantPolicy policy() {
    return policy;
  }

  /** A published grant in the expiry index. */
  public record Published(String key, long expiresAt, List<String> users) {}

  /** A grant session in the store. */
  public record Session(String key, GrantState state) {}

  /** A key or prefix revocation in force. */
  public record KeyRevocation(String target, long revokedAt) {}

  /**
   * The state the rules keep, per task live (Kafka Streams stores) or in memory (replay). Only keys
   * of this store's partition are ever asked for.
   */
  public interface Store {
    /** Sessions of {@code key} with end &gt;= earliestEnd and start &lt;= latestStart. */
    List<Session> sessions(String key, long earliestEnd, long latestStart);

    void putSession(String key, GrantState state);

    void removeSession(String key, long start, long end);

    /** The published grant of {@code key}, or null. */
    Published published(String key);

    /** Publishes (or re-publishes) a grant: the key's one entry in the time-ordered index. */
    void putPublished(Published grant);

    void removePublished(Published grant);

    /** Published grants with expiresAt &lt;= now, oldest first. Reads only those. */
    List<Published> expiredBy(long now);

    /** Every published grant (for prefix revocations, which are rare). */
    List<Published> allPublished();

    /** Keys whose published grants hold a share of {@code user}. */
    List<String> keysOfUser(String user);

    void addUserKey(String user, String key);

    void removeUserKey(String user, String key);

    /** Records that an event id was applied; false when it already was. */
    boolean markSeen(String eventId, long eventTime);

    Long userRevokedAt(String user);

    void putUserRevocation(String user, long revokedAt);

    List<KeyRevocation> keyRevocations();

    void putKeyRevocation(KeyRevocation revocation);

    /**
     * Forgets what can no longer matter: revocations dated before {@code cutoff} and seen event ids
     * older than it (every event that old is refused as expired on arrival).
     */
    void purgeBefore(long cutoff);
  }

  /** Receives the changes: grant upserts and tombstones, and what was refused. */
  public interface Sink {
    void upsert(RelayGrant grant, boolean created);

    /**
     * The grant of {@code key} ended.
     *
     * @param expiresAt when the grant would have expired (for an expiry: how late the tombstone is)
     */
    void tombstone(String key, Ended why, long expiresAt);

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
   * @throws InvalidLoginException naming the bad field or value
   * @return the client's grant key
   */
  public String validate(LoginEvent event, long now) {
    if (event == null) {
      throw new InvalidLoginException("login event value is null");
    }
    requireText("eventId", event.getEventId());
    requireText("username", event.getUsername());
    requireText("serverId", event.getServerId());
    requireText("clientIp", event.getClientIp());
    if (event.getEventTime() == null) {
      throw new InvalidLoginException("eventTime is missing");
    }
    if (event.getProtocol() == null || event.getKind() == null || event.getOutcome() == null) {
      throw new InvalidLoginException("protocol, kind and outcome are required");
    }
    for (int i = 0; i < event.getUsername().length(); i++) {
      if (Character.isISOControl(event.getUsername().charAt(i))) {
        throw new InvalidLoginException("username contains a control character");
      }
    }
    long time = event.getEventTime().toEpochMilli();
    long limit = now + policy.maxFutureSkew().toMillis();
    if (time > limit) {
      throw new InvalidLoginException(
          "eventTime "
              + event.getEventTime()
              + " is more than the allowed skew "
              + policy.maxFutureSkew()
              + " in the future (now "
              + java.time.Instant.ofEpochMilli(now)
              + "); check the server's clock");
    }
    try {
      return policy.keys().keyOf(event.getClientIp());
    } catch (InvalidAddressException e) {
      throw new InvalidLoginException("clientIp: " + e.getMessage(), e);
    }
  }

  private static void requireText(String field, String value) {
    if (value == null || value.isBlank()) {
      throw new InvalidLoginException(field + " is missing or blank");
    }
  }

  /**
   * Applies one validated login event of grant key {@code key}.
   *
   * @return the refusal, or null when the event took part in a grant
   */
  public Refusal onLogin(LoginEvent event, String key, long now, Store store, Sink sink) {
    IpAddress client = IpAddress.parse(event.getClientIp());
    Refusal refusal = admit(event, client, key, now, store);
    if (refusal != null) {
      sink.refused(refusal);
      return refusal;
    }
    long time = event.getEventTime().toEpochMilli();
    // chain with every session whose grant was still running at t, or that starts before t's ends
    List<Session> overlapping = store.sessions(key, time - ttl + 1, time + ttl - 1);
    List<GrantState> states = new ArrayList<>();
    for (Session s : overlapping) {
      states.add(s.state());
    }
    GrantState.Share share =
        new GrantState.Share(
            event.getUsername(),
            time,
            time,
            1,
            event.getEventId(),
            client.toString(),
            event.getProtocol(),
            event.getServerId());
    GrantState merged = GrantState.merge(states, share, policy.maxUsersPerKey());
    for (Session s : overlapping) {
      store.removeSession(key, s.state().start(), s.state().end());
    }
    store.putSession(key, merged);
    if (merged.shared()) {
      end(key, now, store, sink, Ended.SHARED_ADDRESS);
      sink.refused(Refusal.SHARED_ADDRESS);
      return Refusal.SHARED_ADDRESS;
    }
    publish(key, merged, now, store, sink, false);
    return null;
  }

  /**
   * Runs a login through the admission checks only (recording its event id as seen when it passes
   * them), without touching any grant: for replays that skip keys they are not asked about but must
   * keep event-id dedupe exactly as the live task had it.
   *
   * @return the refusal, or null when the event would have taken part in a grant
   */
  public Refusal screen(LoginEvent event, String key, long now, Store store) {
    return admit(event, IpAddress.parse(event.getClientIp()), key, now, store);
  }

  private Refusal admit(LoginEvent event, IpAddress client, String key, long now, Store store) {
    if (event.getOutcome() != Outcome.SUCCESS) {
      return Refusal.NOT_SUCCESSFUL;
    }
    LoginKind kind = event.getKind();
    if (kind != LoginKind.LOGIN && kind != LoginKind.HEARTBEAT && kind != LoginKind.LOGOUT) {
      return Refusal.NOT_A_SESSION_EVENT;
    }
    if (policy.neverGrant().contains(client)) {
      return Refusal.NEVER_GRANT_NETWORK;
    }
    long time = event.getEventTime().toEpochMilli();
    if (time + ttl <= now) {
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
    if (!store.markSeen(event.getEventId(), time)) {
      return Refusal.DUPLICATE;
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
        withoutShares(key, now, store, sink, share -> share.username().equals(user), at);
      }
    } else if (revocation.getScope() == RevocationScope.KEY) {
      String target = canonicalTarget(revocation.getTarget());
      store.putKeyRevocation(new KeyRevocation(target, at));
      Set<String> keys = new TreeSet<>();
      for (Published p : store.allPublished()) {
        if (covers(target, p.key())) {
          keys.add(p.key());
        }
      }
      for (String key : keys) {
        withoutShares(key, now, store, sink, share -> true, at);
      }
    } else {
      throw new InvalidLoginException(
          "revocation scope " + revocation.getScope() + " is unknown: expected KEY or USER");
    }
  }

  /**
   * The canonical form of a revocation target key or prefix.
   *
   * @throws InvalidLoginException when it is neither
   */
  public static String canonicalTarget(String target) {
    try {
      return GrantKeys.canonicalKey(target);
    } catch (InvalidAddressException e) {
      throw new InvalidLoginException("revocation target: " + e.getMessage(), e);
    }
  }

  /**
   * Removes the matching users' events dated at or before {@code at} from every session of {@code
   * key} and re-publishes what remains (or ends the grant).
   */
  private void withoutShares(
      String key, long now, Store store, Sink sink, Predicate<GrantState.Share> match, long at) {
    GrantState remaining = null;
    for (Session s : store.sessions(key, 0L, Long.MAX_VALUE)) {
      List<GrantState.Share> kept = new ArrayList<>();
      for (GrantState.Share share : s.state().shares()) {
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
      if (kept.size() == s.state().shares().size() && kept.equals(s.state().shares())) {
        remaining = later(remaining, s.state(), now);
        continue;
      }
      store.removeSession(key, s.state().start(), s.state().end());
      if (!kept.isEmpty()) {
        GrantState next = new GrantState(kept, s.state().shared());
        store.putSession(key, next);
        remaining = later(remaining, next, now);
      }
    }
    if (remaining == null || remaining.shared()) {
      end(key, now, store, sink, Ended.REVOKED);
    } else {
      publish(key, remaining, now, store, sink, true);
    }
  }

  /** Of two sessions, the live one that ends last (null when neither is live). */
  private GrantState later(GrantState a, GrantState b, long now) {
    if (b.end() + ttl <= now) {
      return a;
    }
    return a == null || b.end() > a.end() ? b : a;
  }

  /** Tombstones every published grant that has expired by {@code now}; reads only those. */
  public void expire(long now, Store store, Sink sink) {
    for (Published p : store.expiredBy(now)) {
      unpublish(p, store);
      sink.tombstone(p.key(), Ended.EXPIRED, p.expiresAt());
    }
  }

  /** Forgets revocations and event ids that can no longer matter: their events have expired. */
  public void purge(long now, Store store) {
    store.purgeBefore(now - ttl);
  }

  private void publish(
      String key, GrantState state, long now, Store store, Sink sink, boolean mayShorten) {
    long expiresAt = state.end() + ttl;
    Published before = store.published(key);
    if (!mayShorten && before != null && before.expiresAt() > expiresAt) {
      return; // a later session of this key (dated ahead within the skew) holds the grant
    }
    if (expiresAt <= now) {
      end(key, now, store, sink, Ended.EXPIRED);
      return;
    }
    if (before != null) {
      store.removePublished(before);
      for (String user : before.users()) {
        if (!state.users().contains(user)) {
          store.removeUserKey(user, key);
        }
      }
    }
    store.putPublished(new Published(key, expiresAt, state.users()));
    for (String user : state.users()) {
      // users already indexed for this key keep their entry: one write per new user, not per user
      if (before == null || !before.users().contains(user)) {
        store.addUserKey(user, key);
      }
    }
    sink.upsert(toGrant(key, state), before == null || before.expiresAt() <= now);
  }

  private void end(String key, long now, Store store, Sink sink, Ended why) {
    Published before = store.published(key);
    if (before != null) {
      unpublish(before, store);
      sink.tombstone(key, before.expiresAt() <= now ? Ended.EXPIRED : why, before.expiresAt());
    }
  }

  private static void unpublish(Published p, Store store) {
    store.removePublished(p);
    for (String user : p.users()) {
      store.removeUserKey(user, p.key());
    }
  }

  /** The relay.grants value of a session. */
  public RelayGrant toGrant(String key, GrantState state) {
    GrantState.Share latest = state.latest();
    return RelayGrant.newBuilder()
        .setKey(key)
        .setClientIp(latest.clientIp())
        .setUsername(latest.username())
        .setGrantedAt(java.time.Instant.ofEpochMilli(state.start()))
        .setLastEventAt(java.time.Instant.ofEpochMilli(state.end()))
        .setExpiresAt(java.time.Instant.ofEpochMilli(state.end() + ttl))
        .setEventId(latest.eventId())
        .setProtocol(latest.protocol())
        .setServerId(latest.serverId())
        .setEventCount(state.eventCount())
        .build();
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
