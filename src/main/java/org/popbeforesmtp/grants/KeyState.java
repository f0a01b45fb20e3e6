package org.popbeforesmtp.grants;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Everything the grant rules keep about one grant key, read and written whole: a login costs one
 * state read and at most one state write (see {@link StoreNames#KEY_STATE} for why one value per
 * key). Mutable; only {@link GrantRules} changes it.
 *
 * <p>Holds the key's grant sessions within {@link GrantPolicy#sessionRetention()}, the published
 * grant's expiry and users (what a user revocation looks for), when the key's one expiry-index
 * entry is filed, and the event ids applied within the TTL (dedupe: an older event is refused as
 * expired on arrival before its id matters), at most {@link #MAX_SEEN}.
 */
public final class KeyState {
  /**
   * Event ids kept per key within the TTL. A key with more successful events than this inside one
   * TTL (one every 0.9 s for 30 min) forgets the oldest ids; a redelivered copy of one of those
   * then only adds to eventCount, it never extends or revives a grant (its time is inside a session
   * already).
   */
  public static final int MAX_SEEN = 2_000;

  private static final Comparator<GrantState> BY_END = Comparator.comparingLong(GrantState::end);

  private static final GrantState[] NO_SESSIONS = {};

  // the sessions by end in an array of their own (no list object between the state and them: a
  // login and an expiry visit read one object less, a key never seen allocates nothing for them)
  private GrantState[] sessions;
  private int sessionCount;
  private long expiresAt;
  private List<String> users;
  private long filedAt;
  private final SeenIds seen;
  private boolean counted;
  private boolean held;
  private Object companion;

  // Bounds kept beside the sessions, so that the expiry scan's visit to a key that has nothing to
  // forget (most visits) reads this object only, not the sessions' objects: earliest and latest
  // session end.
  private long firstEnd;
  private long lastEnd;

  /** The state of a key never seen (or forgotten). */
  public KeyState() {
    this(List.of(), 0L, List.of(), 0L, new SeenIds(MAX_SEEN), false);
  }

  KeyState(
      List<GrantState> sessions,
      long expiresAt,
      List<String> users,
      long filedAt,
      SeenIds seen,
      boolean counted) {
    this.sessions = sessions.isEmpty() ? NO_SESSIONS : sessions.toArray(GrantState[]::new);
    this.sessionCount = this.sessions.length;
    Arrays.sort(this.sessions, BY_END);
    this.expiresAt = expiresAt;
    this.users = users;
    this.filedAt = filedAt;
    this.seen = seen;
    this.counted = counted;
    sessionsChanged();
  }

  /** The bounds of the sessions' ends: the first and the last, as they are kept by end. */
  private void sessionsChanged() {
    firstEnd = sessionCount == 0 ? Long.MAX_VALUE : sessions[0].end();
    lastEnd = sessionCount == 0 ? Long.MIN_VALUE : sessions[sessionCount - 1].end();
  }

  /** The grant sessions in retention, by end. */
  public List<GrantState> sessions() {
    return Collections.unmodifiableList(Arrays.asList(sessions).subList(0, sessionCount));
  }

  /** How many grant sessions are in retention. */
  int sessionCount() {
    return sessionCount;
  }

  /** The {@code i}th grant session in retention, by end. */
  GrantState session(int i) {
    return sessions[i];
  }

  /** Expiry of the published grant (it may have expired and await the scan); 0 when none. */
  public long expiresAt() {
    return expiresAt;
  }

  /** Whether a grant is published (and not yet tombstoned). */
  public boolean published() {
    return expiresAt != 0;
  }

  /** Users of the published grant (a user revocation ends the grant of each key holding one). */
  public List<String> users() {
    return users;
  }

  /**
   * Whether an in-memory store holds this object as the key's state: writing it back is then a
   * no-op ({@link InMemoryGrantStore}; the Kafka store serialises states and ignores this).
   */
  boolean held() {
    return held;
  }

  void held(boolean value) {
    this.held = value;
  }

  /**
   * What a replay keeps about this key beside its state (audit: the open grant interval), so that
   * it needs no map of its own; in memory only: never serialised, so a state read from a Kafka
   * store has none.
   */
  public Object companion() {
    return companion;
  }

  public void companion(Object value) {
    this.companion = value;
  }

  /** Time of the key's expiry-index entry; 0 when none. */
  long filedAt() {
    return filedAt;
  }

  void filedAt(long at) {
    this.filedAt = at;
  }

  /**
   * Whether the live-grant count includes this key: it did when the state was stored with a
   * published grant. The store that keeps the count moves it with {@link #counted(boolean)}.
   */
  boolean counted() {
    return counted;
  }

  void counted(boolean value) {
    this.counted = value;
  }

  /** The event ids applied within the TTL and their event times (a copy, in the order applied). */
  Map<String, Long> seen() {
    return seen.toMap();
  }

  SeenIds seenIds() {
    return seen;
  }

  /** Sessions with end &gt;= earliestEnd and start &lt;= latestStart. */
  List<GrantState> overlapping(long earliestEnd, long latestStart) {
    GrantState first = null;
    List<GrantState> all = null; // only when more than one (rare)
    for (int i = 0; i < sessionCount; i++) {
      GrantState s = sessions[i];
      if (s.end() >= earliestEnd && s.start() <= latestStart) {
        if (first == null) {
          first = s;
        } else {
          if (all == null) {
            all = new ArrayList<>();
            all.add(first);
          }
          all.add(s);
        }
      }
    }
    return all != null ? all : first != null ? List.of(first) : List.of();
  }

  /** Removes the sessions {@code removed} (by identity) and files {@code added} (when not null). */
  void replaceSessions(List<GrantState> removed, GrantState added) {
    int kept = 0;
    for (int i = 0; i < sessionCount; i++) {
      GrantState s = sessions[i];
      if (!containsIdentical(removed, s)) {
        sessions[kept++] = s;
      }
    }
    Arrays.fill(sessions, kept, sessionCount, null);
    sessionCount = kept;
    if (added != null) {
      if (sessionCount == sessions.length) {
        sessions = Arrays.copyOf(sessions, Math.max(2, sessionCount * 2));
      }
      // insertion by end, after equal ends (the order a stable sort gives)
      int at = sessionCount;
      while (at > 0 && sessions[at - 1].end() > added.end()) {
        sessions[at] = sessions[at - 1];
        at--;
      }
      sessions[at] = added;
      sessionCount++;
    }
    sessionsChanged();
  }

  private static boolean containsIdentical(List<GrantState> list, GrantState s) {
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i) == s) {
        return true;
      }
    }
    return false;
  }

  /** Publishes {@code session}'s grant: its users become the grant's (kept when they are). */
  void publish(long expiresAt, GrantState session) {
    this.expiresAt = expiresAt;
    if (!session.hasUsers(users)) { // a login extending its own grant changes no user
      this.users = session.users();
    }
  }

  void unpublish() {
    this.expiresAt = 0;
    this.users = List.of();
  }

  /** Records that an event id was applied; false when it already was. */
  boolean markSeen(String eventId, long eventTime) {
    return seen.add(eventId, eventTime);
  }

  /**
   * Forgets what can no longer matter at {@code now}: sessions ended more than {@code retention}
   * ago (no accepted event can chain into them) and event ids older than {@code ttl} (such an event
   * is refused as expired on arrival before its id is looked at).
   */
  void prune(long now, long ttl, long retention) {
    if (firstEnd <= now - retention) {
      int kept = 0;
      if (lastEnd > now - retention) {
        for (int i = 0; i < sessionCount; i++) {
          if (sessions[i].end() + retention > now) {
            sessions[kept++] = sessions[i];
          }
        }
      }
      Arrays.fill(sessions, kept, sessionCount, null);
      sessionCount = kept;
      sessionsChanged();
    }
    seen.forgetUpTo(now - ttl);
  }

  /** Nothing left to keep: the state can be deleted. */
  boolean isEmpty() {
    return sessionCount == 0 && seen.isEmpty() && expiresAt == 0;
  }

  /**
   * When the rules must look at this key again without a new event: the published grant's expiry,
   * else when the last session or event id falls out of retention.
   */
  long due(long ttl, long retention) {
    if (expiresAt != 0) {
      return expiresAt;
    }
    long due = 0;
    if (sessionCount > 0) {
      due = lastEnd + retention;
    }
    if (!seen.isEmpty()) {
      due = Math.max(due, seen.newest() + ttl);
    }
    return due;
  }
}
