package org.popbeforesmtp.grants;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.BytesSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * {@link GrantRules.Store} on one task's Kafka Streams state stores (see {@link StoreNames}).
 * Revocations are few and asked for on every login, so they are also held in memory: loaded from
 * their store when the task starts, kept in step with every write.
 */
final class KafkaGrantStore implements GrantRules.Store {
  private static final byte[] NO_VALUE = new byte[0];

  /** Told when a key's state is deleted, and of the count of published grants. */
  interface Listener {
    void removing(String key);

    void published(long count);
  }

  private static final String PUBLISHED = "published";

  private final KeyValueStore<String, KeyState> states;
  private final KeyValueStore<Bytes, byte[]> expiryIndex;
  private final KeyValueStore<Bytes, byte[]> userIndex;
  private final KeyValueStore<String, Long> revocations;
  private final KeyValueStore<String, Long> counters;
  private final Listener listener;
  private long published;
  private final Map<String, Long> userRevocations = new HashMap<>();
  private final Map<String, Long> keyRevocations = new HashMap<>();

  KafkaGrantStore(
      KeyValueStore<String, KeyState> states,
      KeyValueStore<Bytes, byte[]> expiryIndex,
      KeyValueStore<Bytes, byte[]> userIndex,
      KeyValueStore<String, Long> revocations,
      KeyValueStore<String, Long> counters,
      Listener listener) {
    this.states = states;
    this.expiryIndex = expiryIndex;
    this.userIndex = userIndex;
    this.revocations = revocations;
    this.counters = counters;
    this.listener = listener;
    Long count = counters.get(PUBLISHED);
    this.published = count == null ? 0 : count;
    listener.published(published);
    try (KeyValueIterator<String, Long> it = revocations.all()) {
      while (it.hasNext()) {
        KeyValue<String, Long> entry = it.next();
        (entry.key.startsWith("u:") ? userRevocations : keyRevocations)
            .put(entry.key.substring(2), entry.value);
      }
    }
  }

  @Override
  public KeyState state(String key) {
    return states.get(key);
  }

  @Override
  public void putState(String key, KeyState state) {
    states.put(key, state);
    count((state.published() ? 1 : 0) - (state.publishedWhenRead() ? 1 : 0));
  }

  @Override
  public void removeState(String key, KeyState state) {
    listener.removing(key);
    states.delete(key);
    count(state.publishedWhenRead() ? -1 : 0);
  }

  /** Keeps the count of published grants (one cached key: one write per commit at most). */
  private void count(int delta) {
    if (delta != 0) {
      published += delta;
      counters.put(PUBLISHED, published);
      listener.published(published);
    }
  }

  @Override
  public void file(String key, long at) {
    expiryIndex.put(indexKey(at, key), NO_VALUE);
  }

  @Override
  public void unfile(String key, long at) {
    expiryIndex.delete(indexKey(at, key));
  }

  @Override
  public List<GrantRules.Filed> dueBy(long now) {
    List<GrantRules.Filed> result = new ArrayList<>();
    // keys are at (big-endian) + key: the range ends before the bare 8 bytes of now + 1
    Bytes to = Bytes.wrap(ByteBuffer.allocate(8).putLong(now + 1).array());
    try (KeyValueIterator<Bytes, byte[]> it = expiryIndex.range(null, to)) {
      while (it.hasNext()) {
        byte[] k = it.next().key.get();
        if (k.length > 8) {
          result.add(fromIndex(k));
        }
      }
    }
    return result;
  }

  @Override
  public List<String> filedKeys() {
    List<String> result = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> it = expiryIndex.all()) {
      while (it.hasNext()) {
        result.add(fromIndex(it.next().key.get()).key());
      }
    }
    return result;
  }

  private static GrantRules.Filed fromIndex(byte[] k) {
    long at = ByteBuffer.wrap(k).getLong();
    return new GrantRules.Filed(at, new String(k, 8, k.length - 8, StandardCharsets.UTF_8));
  }

  @Override
  public List<String> keysOfUser(String user) {
    byte[] prefix = (user + '\0').getBytes(StandardCharsets.UTF_8);
    List<String> keys = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> it =
        userIndex.prefixScan(Bytes.wrap(prefix), new BytesSerializer())) {
      while (it.hasNext()) {
        byte[] k = it.next().key.get();
        keys.add(new String(k, prefix.length, k.length - prefix.length, StandardCharsets.UTF_8));
      }
    }
    return keys;
  }

  @Override
  public void addUserKey(String user, String key) {
    userIndex.put(userKey(user, key), NO_VALUE);
  }

  @Override
  public void removeUserKey(String user, String key) {
    userIndex.delete(userKey(user, key));
  }

  private static Bytes userKey(String user, String key) {
    return Bytes.wrap((user + '\0' + key).getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public Long userRevokedAt(String user) {
    return userRevocations.get(user);
  }

  @Override
  public void putUserRevocation(String user, long revokedAt) {
    revocations.put("u:" + user, revokedAt);
    userRevocations.put(user, revokedAt);
  }

  @Override
  public List<GrantRules.KeyRevocation> keyRevocations() {
    if (keyRevocations.isEmpty()) {
      return List.of();
    }
    List<GrantRules.KeyRevocation> result = new ArrayList<>(keyRevocations.size());
    keyRevocations.forEach((k, v) -> result.add(new GrantRules.KeyRevocation(k, v)));
    return result;
  }

  @Override
  public void putKeyRevocation(GrantRules.KeyRevocation revocation) {
    Long previous = keyRevocations.get(revocation.target());
    if (previous == null || previous < revocation.revokedAt()) {
      revocations.put("k:" + revocation.target(), revocation.revokedAt());
      keyRevocations.put(revocation.target(), revocation.revokedAt());
    }
  }

  @Override
  public void purgeBefore(long cutoff) {
    purge("u:", userRevocations, cutoff);
    purge("k:", keyRevocations, cutoff);
  }

  private void purge(String prefix, Map<String, Long> held, long cutoff) {
    List<String> stale = new ArrayList<>();
    held.forEach(
        (target, at) -> {
          if (at < cutoff) {
            stale.add(target);
          }
        });
    for (String target : stale) {
      held.remove(target);
      revocations.delete(prefix + target);
    }
  }

  private static Bytes indexKey(long at, String key) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    return Bytes.wrap(ByteBuffer.allocate(8 + k.length).putLong(at).put(k).array());
  }
}
