package org.popbeforesmtp.grants;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link GrantRules.Store} in plain collections, for replaying history outside Kafka Streams
 * (audit) and as the model in tests. Not thread-safe. Memory stays bounded by the keys active
 * within the session retention as {@link GrantRules#expire} runs with the clock.
 */
public final class InMemoryGrantStore implements GrantRules.Store {
  private final KeyStateTable states = new KeyStateTable();

  /**
   * The expiry index, lazy: entries are never removed before they fall due, and {@link
   * GrantRules#expire} skips those a key no longer owns ({@link KeyState#filedAt()} moved on), as
   * the Kafka store's scan does with a stale entry.
   */
  private final ExpiryWheel index = new ExpiryWheel();

  private final Map<String, Long> userRevocations = new HashMap<>();
  private final Map<String, Long> keyRevocations = new HashMap<>();

  /** {@link #keyRevocations} as the rules read it on every login: built when it changes. */
  private List<GrantRules.KeyRevocation> keyRevocationList = List.of();

  private Long publishedExpiry;

  @Override
  public KeyState state(String key) {
    return states.get(key);
  }

  @Override
  public void putState(String key, KeyState state) {
    if (!state.held()) { // a state read from here is written in place: no map write
      states.put(key, state);
      state.held(true);
    }
  }

  @Override
  public void removeState(String key, KeyState state) {
    states.remove(key);
    state.held(false);
  }

  @Override
  public void file(String key, long at, KeyState state) {
    index.add(key, state, at);
  }

  /** Nothing to do: the entry stays until it falls due and is then skipped (see the index). */
  @Override
  public void unfile(String key, long at) {}

  /** Takes the entries due by {@code now} out of the index, by (at, key). */
  @Override
  public List<GrantRules.Filed> dueBy(long now) {
    return index.takeDue(now);
  }

  /**
   * By key (the table keeps no order; what a caller does with them comes out the same each run).
   */
  @Override
  public List<String> filedKeys() {
    List<String> keys = states.keys();
    keys.sort(null);
    return keys;
  }

  /** Number of keys with state (for tests of the bound). */
  public int keyCount() {
    return states.size();
  }

  @Override
  public List<String> keysOfUser(String user) {
    List<String> keys = new ArrayList<>();
    states.forEach(
        (key, state) -> {
          if (state.users().contains(user)) {
            keys.add(key);
          }
        });
    return keys;
  }

  @Override
  public Long userRevokedAt(String user) {
    return userRevocations.isEmpty() ? null : userRevocations.get(user);
  }

  @Override
  public void putUserRevocation(String user, long revokedAt) {
    userRevocations.put(user, revokedAt);
  }

  @Override
  public List<GrantRules.KeyRevocation> keyRevocations() {
    return keyRevocationList;
  }

  @Override
  public void putKeyRevocation(GrantRules.KeyRevocation revocation) {
    keyRevocations.merge(revocation.target(), revocation.revokedAt(), Math::max);
    keyRevocationsChanged();
  }

  private void keyRevocationsChanged() {
    List<GrantRules.KeyRevocation> list = new ArrayList<>();
    keyRevocations.forEach((k, v) -> list.add(new GrantRules.KeyRevocation(k, v)));
    keyRevocationList = List.copyOf(list);
  }

  @Override
  public Long publishedExpiry() {
    return publishedExpiry;
  }

  @Override
  public void publishedExpiry(long expiry) {
    this.publishedExpiry = expiry;
  }

  @Override
  public void purgeBefore(long cutoff) {
    userRevocations.values().removeIf(at -> at < cutoff);
    if (keyRevocations.values().removeIf(at -> at < cutoff)) {
      keyRevocationsChanged();
    }
  }
}
