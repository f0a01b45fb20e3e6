package org.popbeforesmtp.grants;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@link GrantRules.Store} in plain collections, for replaying history outside Kafka Streams
 * (audit) and as the model in tests. Not thread-safe. Memory stays bounded by the live grants when
 * {@link GrantRules#purge} is called as time advances.
 */
public final class InMemoryGrantStore implements GrantRules.Store {
  private static final Comparator<GrantRules.Published> BY_EXPIRY =
      Comparator.comparingLong(GrantRules.Published::expiresAt)
          .thenComparing(GrantRules.Published::key);

  private final long retention;
  private final long ttl;
  private final Map<String, List<GrantState>> sessions = new HashMap<>();
  private final Map<String, GrantRules.Published> published = new HashMap<>();
  private final TreeSet<GrantRules.Published> expiryIndex = new TreeSet<>(BY_EXPIRY);
  private final Map<String, Set<String>> userKeys = new HashMap<>();
  private final Map<String, Long> seen = new HashMap<>();
  private final Map<String, Long> userRevocations = new HashMap<>();
  private final Map<String, Long> keyRevocations = new HashMap<>();

  /** A store that forgets sessions {@link GrantPolicy#sessionRetention()} after their end. */
  public InMemoryGrantStore(GrantPolicy policy) {
    this.retention = policy.sessionRetention().toMillis();
    this.ttl = policy.ttl().toMillis();
  }

  @Override
  public List<GrantRules.Session> sessions(String key, long earliestEnd, long latestStart) {
    List<GrantRules.Session> result = new ArrayList<>();
    for (GrantState s : sessions.getOrDefault(key, List.of())) {
      if (s.end() >= earliestEnd && s.start() <= latestStart) {
        result.add(new GrantRules.Session(key, s));
      }
    }
    return result;
  }

  @Override
  public void putSession(String key, GrantState state) {
    List<GrantState> list = sessions.computeIfAbsent(key, k -> new ArrayList<>());
    list.removeIf(s -> s.start() == state.start() && s.end() == state.end());
    list.add(state);
  }

  @Override
  public void removeSession(String key, long start, long end) {
    List<GrantState> list = sessions.get(key);
    if (list != null) {
      list.removeIf(s -> s.start() == start && s.end() == end);
      if (list.isEmpty()) {
        sessions.remove(key);
      }
    }
  }

  @Override
  public GrantRules.Published published(String key) {
    return published.get(key);
  }

  @Override
  public void putPublished(GrantRules.Published grant) {
    GrantRules.Published before = published.put(grant.key(), grant);
    if (before != null) {
      expiryIndex.remove(before);
    }
    expiryIndex.add(grant);
  }

  @Override
  public void removePublished(GrantRules.Published grant) {
    published.remove(grant.key(), published.get(grant.key()));
    expiryIndex.remove(grant);
  }

  @Override
  public List<GrantRules.Published> expiredBy(long now) {
    List<GrantRules.Published> result = new ArrayList<>();
    for (GrantRules.Published p : expiryIndex) {
      if (p.expiresAt() > now) {
        break;
      }
      result.add(p);
    }
    return result;
  }

  @Override
  public List<GrantRules.Published> allPublished() {
    return new ArrayList<>(expiryIndex);
  }

  @Override
  public List<String> keysOfUser(String user) {
    return new ArrayList<>(userKeys.getOrDefault(user, Set.of()));
  }

  @Override
  public void addUserKey(String user, String key) {
    userKeys.computeIfAbsent(user, u -> new LinkedHashSet<>()).add(key);
  }

  @Override
  public void removeUserKey(String user, String key) {
    Set<String> keys = userKeys.get(user);
    if (keys != null && keys.remove(key) && keys.isEmpty()) {
      userKeys.remove(user);
    }
  }

  @Override
  public boolean markSeen(String eventId, long eventTime) {
    return seen.putIfAbsent(eventId, eventTime) == null;
  }

  @Override
  public Long userRevokedAt(String user) {
    return userRevocations.get(user);
  }

  @Override
  public void putUserRevocation(String user, long revokedAt) {
    userRevocations.put(user, revokedAt);
  }

  @Override
  public List<GrantRules.KeyRevocation> keyRevocations() {
    List<GrantRules.KeyRevocation> result = new ArrayList<>();
    keyRevocations.forEach((k, v) -> result.add(new GrantRules.KeyRevocation(k, v)));
    return result;
  }

  @Override
  public void putKeyRevocation(GrantRules.KeyRevocation revocation) {
    keyRevocations.merge(revocation.target(), revocation.revokedAt(), Math::max);
  }

  @Override
  public void purgeBefore(long cutoff) {
    userRevocations.values().removeIf(at -> at < cutoff);
    keyRevocations.values().removeIf(at -> at < cutoff);
    seen.values().removeIf(time -> time < cutoff);
    // cutoff is now - ttl: keep sessions that ended within the retention before now
    long sessionCutoff = cutoff + ttl - retention;
    sessions.values().forEach(list -> list.removeIf(s -> s.end() < sessionCutoff));
    sessions.values().removeIf(List::isEmpty);
  }
}
