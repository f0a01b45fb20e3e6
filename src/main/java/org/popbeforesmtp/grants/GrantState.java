package org.popbeforesmtp.grants;

import java.util.ArrayList;
import java.util.List;
import org.popbeforesmtp.avro.Protocol;

/**
 * The aggregate of one grant session of one key: each user's contribution, so a user revocation can
 * remove exactly that user's part. The session spans from the earliest to the latest event of its
 * shares; the grant expires TTL after the latest. Immutable.
 *
 * <p>A class rather than a record: the start, the end and the latest share are computed once, as
 * the expiry scan and every login of the key ask for them (reading them then touches this object
 * only, not each share).
 */
public final class GrantState {
  private final List<Share> shares;
  private final boolean sharedAddress;
  private final Share latest;
  private final long start;
  private final long end;
  private final boolean oneUser; // the common session: its one share is latest

  /**
   * @param shares one per distinct user, in no particular order
   * @param sharedAddress more distinct users than the cap were seen: the key is a shared address
   *     and this session grants nothing
   */
  public GrantState(List<Share> shares, boolean sharedAddress) {
    this.shares = List.copyOf(shares);
    this.sharedAddress = sharedAddress;
    if (this.shares.isEmpty()) {
      throw new IllegalArgumentException("a grant session has at least one share");
    }
    Share last = this.shares.get(0);
    long first = Long.MAX_VALUE;
    for (int i = 0; i < this.shares.size(); i++) { // indexed: no iterator per session built
      Share s = this.shares.get(i);
      first = Math.min(first, s.firstAt());
      if (s.lastAt() > last.lastAt()
          || (s.lastAt() == last.lastAt() && s.eventId().compareTo(last.eventId()) > 0)) {
        last = s;
      }
    }
    this.latest = last;
    this.start = first;
    this.end = last.lastAt();
    this.oneUser = this.shares.size() == 1;
  }

  /** One per distinct user, in no particular order. */
  public List<Share> shares() {
    return shares;
  }

  /** The key is a shared address: this session grants nothing. */
  public boolean sharedAddress() {
    return sharedAddress;
  }

  @Override
  public boolean equals(Object o) {
    return o == this
        || o instanceof GrantState g && sharedAddress == g.sharedAddress && shares.equals(g.shares);
  }

  @Override
  public int hashCode() {
    return shares.hashCode() * 31 + Boolean.hashCode(sharedAddress);
  }

  @Override
  public String toString() {
    return "GrantState[shares=" + shares + ", sharedAddress=" + sharedAddress + "]";
  }

  /**
   * One user's events in the session.
   *
   * @param firstAt event time of the user's earliest event
   * @param lastAt event time of the user's latest event
   * @param count number of distinct events
   * @param eventId id of the latest event (ties on time: the greatest id, so order never matters)
   */
  public record Share(
      String username,
      long firstAt,
      long lastAt,
      int count,
      String eventId,
      String clientIp,
      Protocol protocol,
      String serverId) {

    /** This share with one more event folded in; the latest event's details win. */
    Share plus(Share other) {
      boolean otherIsLatest =
          other.lastAt > lastAt || (other.lastAt == lastAt && other.eventId.compareTo(eventId) > 0);
      Share latest = otherIsLatest ? other : this;
      return new Share(
          username,
          Math.min(firstAt, other.firstAt),
          Math.max(lastAt, other.lastAt),
          count + other.count,
          latest.eventId,
          latest.clientIp,
          latest.protocol,
          latest.serverId);
    }
  }

  /** Event time of the earliest event: the session (and grant) start. */
  public long start() {
    return start;
  }

  /** Event time of the latest event: the session end. */
  public long end() {
    return end;
  }

  /** The share holding the latest event (ties: the greatest event id). */
  public Share latest() {
    return latest;
  }

  /** Number of distinct events in the session. */
  public int eventCount() {
    if (oneUser) {
      return latest.count();
    }
    int n = 0;
    for (int i = 0; i < shares.size(); i++) {
      n += shares.get(i).count();
    }
    return n;
  }

  /** The usernames of the shares. */
  public List<String> users() {
    String[] users = new String[shares.size()];
    for (int i = 0; i < users.length; i++) {
      users[i] = shares.get(i).username();
    }
    return List.of(users);
  }

  /** Whether {@code users} is what {@link #users()} would give (no list built to find out). */
  boolean hasUsers(List<String> users) {
    if (oneUser) {
      return users.size() == 1 && latest.username().equals(users.get(0));
    }
    if (users.size() != shares.size()) {
      return false;
    }
    for (int i = 0; i < users.size(); i++) {
      if (!shares.get(i).username().equals(users.get(i))) {
        return false;
      }
    }
    return true;
  }

  /** Folds sessions and a new share into one session; users are merged share by share. */
  static GrantState merge(List<GrantState> sessions, Share added, int maxUsersPerKey) {
    // the common logins, without the general merge's lists: a new session, or one more login of
    // the one user of one session (the same result as below: one user is never over a cap, which
    // is at least 1)
    if (sessions.isEmpty()) {
      return new GrantState(List.of(added), false);
    }
    if (sessions.size() == 1) {
      GrantState only = sessions.get(0);
      // read on this object, not its share list (last touched a TTL of history earlier)
      if (only.oneUser && only.latest.username().equals(added.username())) {
        return new GrantState(List.of(only.latest.plus(added)), only.sharedAddress);
      }
    }
    List<Share> merged = new ArrayList<>();
    boolean shared = false;
    List<Share> all = new ArrayList<>();
    for (GrantState s : sessions) {
      shared |= s.sharedAddress();
      all.addAll(s.shares());
    }
    all.add(added);
    for (Share share : all) {
      int i = indexOf(merged, share.username());
      if (i < 0) {
        merged.add(share);
      } else {
        merged.set(i, merged.get(i).plus(share));
      }
    }
    if (maxUsersPerKey > 0 && merged.size() > maxUsersPerKey) {
      shared = true;
    }
    return new GrantState(merged, shared);
  }

  private static int indexOf(List<Share> shares, String username) {
    for (int i = 0; i < shares.size(); i++) {
      if (shares.get(i).username().equals(username)) {
        return i;
      }
    }
    return -1;
  }
}
