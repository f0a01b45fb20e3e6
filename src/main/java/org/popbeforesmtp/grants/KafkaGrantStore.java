package org.popbeforesmtp.grants;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * {@link GrantRules.Store} on one task's Kafka Streams state stores (see {@link StoreNames}).
 *
 * <p>Key states are written back, not through: a changed state stays here as an object (later
 * logins of the key read and change it in place) and reaches the key-state store once per commit
 * interval, serialized once, as one RocksDB write and one changelog record. This is the record
 * cache's job done without its cost per access (a sorted map of serialized bytes, a serde call on
 * every get and put). Revocations are few and asked for on every login, so they are also held in
 * memory: loaded from their store when the task starts, kept in step with every write.
 */
final class KafkaGrantStore implements GrantRules.Store {
  private static final byte[] NO_VALUE = new byte[0];

  /** Told when a key's changed state is written to the store, and of the live-grant count. */
  interface Listener {
    void written(String key);

    void published(long count);
  }

  private static final String PUBLISHED = "published";
  private static final String PUBLISHED_EXPIRY = "published-expiry-ms";

  private final KeyValueStore<String, KeyState> states;
  private final KeyValueStore<Bytes, byte[]> expiryIndex;
  private final KeyValueStore<String, Long> revocations;
  private final KeyValueStore<String, Long> counters;
  private final Listener listener;
  private final boolean writeThrough;
  private final Map<String, KeyState> dirty = new LinkedHashMap<>();
  private boolean ticked;
  private long published;
  private final Map<String, Long> userRevocations = new HashMap<>();
  private final Map<String, Long> keyRevocations = new HashMap<>();

  KafkaGrantStore(
      KeyValueStore<String, KeyState> states,
      KeyValueStore<Bytes, byte[]> expiryIndex,
      KeyValueStore<String, Long> revocations,
      KeyValueStore<String, Long> counters,
      boolean writeThrough,
      Listener listener) {
    this.states = states;
    this.expiryIndex = expiryIndex;
    this.revocations = revocations;
    this.counters = counters;
    this.listener = listener;
    this.writeThrough = writeThrough;
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
    if (dirty.containsKey(key)) {
      return dirty.get(key);
    }
    return states.get(key);
  }

  @Override
  public void putState(String key, KeyState state) {
    recount(state, state.published());
    change(key, state);
  }

  @Override
  public void removeState(String key, KeyState state) {
    recount(state, false);
    change(key, null);
  }

  /** Keeps a changed state (null: deleted) until the next write-back, or writes it through. */
  private void change(String key, KeyState state) {
    if (writeThrough) {
      write(key, state);
      listener.written(key);
      return;
    }
    dirty.put(key, state);
    if (!ticked) {
      // the counter's cache entry is what makes Streams call writeBack before the commit
      counters.put(PUBLISHED, published);
      ticked = true;
    }
  }

  private void write(String key, KeyState state) {
    if (state == null) {
      states.delete(key);
    } else {
      states.put(key, state);
    }
  }

  /**
   * Writes every state changed since the last write-back to the key-state store, once per key,
   * telling the listener of each; Streams calls it as it flushes the counter's record cache, before
   * every commit, so the states and what they produced are in one transaction.
   */
  void writeBack() {
    for (Map.Entry<String, KeyState> e : dirty.entrySet()) {
      write(e.getKey(), e.getValue());
      listener.written(e.getKey());
    }
    dirty.clear();
    ticked = false;
  }

  /** Keeps the count of published grants (one cached key: one write per commit at most). */
  private void recount(KeyState state, boolean published) {
    if (state.counted() != published) {
      state.counted(published);
      this.published += published ? 1 : -1;
      counters.put(PUBLISHED, this.published);
      listener.published(this.published);
    }
  }

  @Override
  public void file(String key, long at, KeyState state) {
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

  /** A scan of every key state of the task (stored, then those changed since the write-back). */
  @Override
  public List<String> keysOfUser(String user) {
    List<String> keys = new ArrayList<>();
    try (KeyValueIterator<String, KeyState> it = states.all()) {
      while (it.hasNext()) {
        KeyValue<String, KeyState> entry = it.next();
        if (!dirty.containsKey(entry.key) && entry.value.users().contains(user)) {
          keys.add(entry.key);
        }
      }
    }
    dirty.forEach(
        (key, state) -> {
          if (state != null && state.users().contains(user)) {
            keys.add(key);
          }
        });
    return keys;
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
  public Long publishedExpiry() {
    return counters.get(PUBLISHED_EXPIRY);
  }

  @Override
  public void publishedExpiry(long expiry) {
    counters.put(PUBLISHED_EXPIRY, expiry);
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
