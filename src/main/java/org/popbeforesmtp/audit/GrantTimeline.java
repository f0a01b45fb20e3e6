package org.popbeforesmtp.audit;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.RelayGrant;
import org.popbeforesmtp.grants.GrantPolicy;
import org.popbeforesmtp.grants.KeyState;

/**
 * Turns the changes of {@code relay.grants} (upserts and tombstones, each at the time it happened)
 * into {@link GrantInterval}s. Audit replay feeds it what {@link
 * org.popbeforesmtp.grants.GrantRules} emits; a test feeds it what the live processor wrote, so
 * both are judged by the same yardstick. Closed intervals go to the consumer as they close; memory
 * holds only the open ones.
 *
 * <p>A timeline fed by replay keeps each key's open interval beside the rules' state of that key
 * ({@link KeyState#companion}), so a login costs no lookup here; one fed with records keeps them in
 * a map by key.
 */
public final class GrantTimeline {
  /** Logins kept per interval for the report: the first and this many latest. */
  public static final int EVENTS_KEPT = 200;

  private final GrantPolicy policy;
  private final long replayStart;
  private final Consumer<GrantInterval> closed;

  /** The open intervals by key, for a timeline fed with records (no {@link #holders}). */
  private final Map<String, Open> open = new HashMap<>();

  /**
   * Where a replayed key's open interval hangs: the rules' state of the key; null: {@link #open}.
   */
  private final Function<String, KeyState> holders;

  /** Every open interval, linked through {@link Open#next} (revocations and the end visit all). */
  private Open first;

  /** The interval of the latest upsert, while it is open. */
  private Open lastUpserted;

  /**
   * @param policy the rules replayed with
   * @param replayStart the earliest record time read: intervals that a login before it could still
   *     have been granting when they start are flagged as possibly starting earlier
   */
  public GrantTimeline(GrantPolicy policy, long replayStart, Consumer<GrantInterval> closed) {
    this(policy, replayStart, closed, null);
  }

  /**
   * A timeline fed by a replay: each key's open interval is kept on {@code holders.apply(key)}, the
   * rules' state of the key, which the replay's sink hands to {@link #upsert(KeyState, String,
   * long, long, int, String, long)} and {@link #tombstone(KeyState, String, GrantInterval.Ending,
   * String, long)}.
   */
  GrantTimeline(
      GrantPolicy policy,
      long replayStart,
      Consumer<GrantInterval> closed,
      Function<String, KeyState> holders) {
    this.policy = policy;
    this.replayStart = replayStart;
    this.closed = closed;
    this.holders = holders;
  }

  private static final class Open {
    final String key;
    final KeyState holder; // null in a timeline fed with records
    Open previous;
    Open next;
    final long from;
    long grantedAt;
    long expiresAt;
    int eventCount;
    // compact: most intervals have one or two users and one login, and an interval is read again
    // only when it closes (a TTL later, long out of the cache), so few objects to load then
    String user; // the first user; others, once there are, in more
    String[] more;
    int moreCount;
    Contribution first;
    ArrayDeque<Contribution> latest; // after the first, once there is one
    int omitted;

    Open(String key, KeyState holder, long from, long grantedAt) {
      this.key = key;
      this.holder = holder;
      this.from = from;
      this.grantedAt = grantedAt;
    }

    void addUser(String u) {
      if (user == null) {
        user = u;
      } else if (!hasUser(u)) {
        if (more == null) {
          more = new String[2];
        } else if (moreCount == more.length) {
          more = Arrays.copyOf(more, moreCount * 2);
        }
        more[moreCount++] = u;
      }
    }

    boolean hasUser(String u) {
      if (u.equals(user)) {
        return true;
      }
      for (int i = 0; i < moreCount; i++) {
        if (more[i].equals(u)) {
          return true;
        }
      }
      return false;
    }

    void add(Contribution c) {
      addUser(c.username());
      if (first == null) {
        first = c;
        return;
      }
      if (latest == null) {
        latest = new ArrayDeque<>();
      }
      latest.addLast(c);
      if (latest.size() > EVENTS_KEPT) {
        latest.removeFirst();
        omitted++;
      }
    }

    /** The kept logins as an immutable list (the interval keeps it without copying). */
    List<Contribution> events() {
      if (latest == null) {
        return first == null ? List.of() : List.of(first);
      }
      Contribution[] all = new Contribution[latest.size() + (first == null ? 0 : 1)];
      int i = 0;
      if (first != null) {
        all[i++] = first;
      }
      for (Contribution c : latest) {
        all[i++] = c;
      }
      return List.of(all);
    }

    /** The users as an immutable set (the interval keeps it without copying). */
    Set<String> userSet() {
      if (user == null) {
        return Set.of();
      }
      if (more == null) {
        return Set.of(user);
      }
      String[] all = Arrays.copyOf(more, moreCount + 1);
      all[moreCount] = user;
      return Set.of(all);
    }
  }

  /** A grant was published (created or extended) at {@code now}: a relay.grants value. */
  public void upsert(RelayGrant grant, long now) {
    upsert(
        grant.getKey(),
        grant.getGrantedAt().toEpochMilli(),
        grant.getExpiresAt().toEpochMilli(),
        grant.getEventCount(),
        grant.getUsername(),
        now);
  }

  /**
   * A grant was published (created or extended) at {@code now}, by its fields: granted at, expires
   * at, event count and latest user, as in the relay.grants value.
   */
  public void upsert(
      String key, long grantedAt, long expiresAt, int eventCount, String username, long now) {
    upsert(null, key, grantedAt, expiresAt, eventCount, username, now);
  }

  /**
   * {@link #upsert(String, long, long, int, String, long)} of a replayed key whose state is {@code
   * holder}.
   */
  void upsert(
      KeyState holder,
      String key,
      long grantedAt,
      long expiresAt,
      int eventCount,
      String username,
      long now) {
    Open o = find(holder, key);
    if (o != null && o.expiresAt <= now) {
      close(o, o.expiresAt, GrantInterval.Ending.EXPIRED, "");
      o = null;
    }
    if (o == null) {
      o = opened(new Open(key, holder, now, grantedAt));
    }
    o.grantedAt = grantedAt;
    o.expiresAt = expiresAt;
    o.eventCount = eventCount;
    o.addUser(username);
    lastUpserted = o;
  }

  /**
   * The grant of {@code key} was tombstoned at {@code now}.
   *
   * @param why the reason when known (replay), or {@link GrantInterval.Ending#ENDED}
   * @param endedBy who ended it, for revocations
   */
  public void tombstone(String key, GrantInterval.Ending why, String endedBy, long now) {
    tombstone(null, key, why, endedBy, now);
  }

  /** {@link #tombstone(String, GrantInterval.Ending, String, long)} of a replayed key. */
  void tombstone(KeyState holder, String key, GrantInterval.Ending why, String endedBy, long now) {
    Open o = find(holder, key);
    if (o == null) {
      return;
    }
    if (o.expiresAt <= now) {
      close(o, o.expiresAt, GrantInterval.Ending.EXPIRED, "");
    } else {
      close(o, Math.max(o.from, now), why, endedBy);
    }
  }

  /** A login took part in the grant of {@code key} (call after its upsert). */
  public void contributed(String key, LoginEvent event, long arrival) {
    // the login's upsert came just before: no second lookup
    Open o = lastUpserted != null && lastUpserted.key.equals(key) ? lastUpserted : find(null, key);
    if (o != null) {
      o.add(Contribution.of(event, arrival));
    }
  }

  /** A user revocation at {@code at}: that user's logins dated up to it stop counting. */
  public void revokedUser(String user, long at) {
    for (Open o = first; o != null; o = o.next) {
      if (o.hasUser(user)) {
        revoke(o, c -> c.username().equals(user), at);
      }
    }
  }

  /** A key revocation at {@code at} of the keys {@code covered} accepts. */
  public void revokedKeys(Predicate<String> covered, long at) {
    for (Open o = first; o != null; o = o.next) {
      if (covered.test(o.key)) {
        revoke(o, c -> true, at);
      }
    }
  }

  private static void revoke(Open o, Predicate<Contribution> match, long at) {
    if (o.first != null && match.test(o.first) && o.first.eventTime() <= at) {
      o.first = o.first.revoked(at);
    }
    if (o.latest == null) {
      return;
    }
    List<Contribution> kept = new ArrayList<>(o.latest);
    o.latest.clear();
    for (Contribution c : kept) {
      o.latest.addLast(
          match.test(c) && c.eventTime() <= at && c.revokedAt() == null ? c.revoked(at) : c);
    }
  }

  /** Closes every open interval at the end of the replay ({@code end}). */
  public void finish(long end) {
    List<Open> all = new ArrayList<>();
    for (Open o = first; o != null; o = o.next) {
      all.add(o);
    }
    all.sort(Comparator.comparing(o -> o.key));
    for (Open o : all) {
      if (o.expiresAt <= end) {
        close(o, o.expiresAt, GrantInterval.Ending.EXPIRED, "");
      } else {
        close(o, o.expiresAt, GrantInterval.Ending.RUNNING, "");
      }
    }
  }

  /**
   * The open interval of {@code key}: on its state {@code holder} when given, else where this
   * timeline keeps them.
   */
  private Open find(KeyState holder, String key) {
    if (holder != null) {
      return (Open) holder.companion();
    }
    if (holders == null) {
      return open.get(key);
    }
    KeyState state = holders.apply(key);
    return state == null ? null : (Open) state.companion();
  }

  private Open opened(Open o) {
    if (o.holder != null) {
      o.holder.companion(o);
    } else {
      open.put(o.key, o);
    }
    o.next = first;
    if (first != null) {
      first.previous = o;
    }
    first = o;
    return o;
  }

  private void close(Open o, long until, GrantInterval.Ending ending, String endedBy) {
    if (o.holder != null) {
      o.holder.companion(null);
    } else {
      open.remove(o.key);
    }
    if (o.previous != null) {
      o.previous.next = o.next;
    } else {
      first = o.next;
    }
    if (o.next != null) {
      o.next.previous = o.previous;
    }
    if (lastUpserted == o) {
      lastUpserted = null;
    }
    closed.accept(
        new GrantInterval(
            o.key,
            o.from,
            until,
            ending,
            endedBy,
            o.grantedAt,
            GrantPolicy.liveAt(policy.expiresAt(replayStart), o.grantedAt),
            o.eventCount,
            o.userSet(),
            o.events(),
            o.omitted));
  }
}
