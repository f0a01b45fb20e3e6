package org.popbeforesmtp.grants;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.BytesSerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Window;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.SessionStore;
import org.apache.kafka.streams.state.WindowStore;

/** {@link GrantRules.Store} on one task's Kafka Streams state stores (see {@link StoreNames}). */
final class KafkaGrantStore implements GrantRules.Store {
  private static final byte[] NO_VALUE = new byte[0];

  private final SessionStore<String, GrantState> sessions;
  private final KeyValueStore<String, Long> published;
  private final KeyValueStore<Bytes, byte[]> expiryIndex;
  private final KeyValueStore<Bytes, byte[]> userIndex;
  private final WindowStore<String, Long> seen;
  private final KeyValueStore<String, Long> revocations;

  KafkaGrantStore(
      SessionStore<String, GrantState> sessions,
      KeyValueStore<String, Long> published,
      KeyValueStore<Bytes, byte[]> expiryIndex,
      KeyValueStore<Bytes, byte[]> userIndex,
      WindowStore<String, Long> seen,
      KeyValueStore<String, Long> revocations) {
    this.sessions = sessions;
    this.published = published;
    this.expiryIndex = expiryIndex;
    this.userIndex = userIndex;
    this.seen = seen;
    this.revocations = revocations;
  }

  @Override
  public List<GrantRules.Session> sessions(String key, long earliestEnd, long latestStart) {
    List<GrantRules.Session> result = new ArrayList<>();
    try (KeyValueIterator<Windowed<String>, GrantState> it =
        sessions.findSessions(key, Math.max(0L, earliestEnd), latestStart)) {
      while (it.hasNext()) {
        result.add(new GrantRules.Session(key, it.next().value));
      }
    }
    return result;
  }

  @Override
  public void putSession(String key, GrantState state) {
    sessions.put(window(key, state.start(), state.end()), state);
  }

  @Override
  public void removeSession(String key, long start, long end) {
    sessions.remove(window(key, start, end));
  }

  private static Windowed<String> window(String key, long start, long end) {
    return new Windowed<>(key, new GrantWindow(start, end));
  }

  /** A session window [start, end], both inclusive, as session stores key them. */
  private static final class GrantWindow extends Window {
    GrantWindow(long start, long end) {
      super(start, end);
    }

    @Override
    public boolean overlap(Window other) {
      return !(other.end() < start() || end() < other.start());
    }
  }

  @Override
  public GrantRules.Published published(String key) {
    Long expiresAt = published.get(key);
    if (expiresAt == null) {
      return null;
    }
    byte[] users = expiryIndex.get(indexKey(expiresAt, key));
    return new GrantRules.Published(key, expiresAt, users == null ? List.of() : decodeUsers(users));
  }

  @Override
  public void putPublished(GrantRules.Published grant) {
    published.put(grant.key(), grant.expiresAt());
    expiryIndex.put(indexKey(grant.expiresAt(), grant.key()), encodeUsers(grant.users()));
  }

  @Override
  public void removePublished(GrantRules.Published grant) {
    Long current = published.get(grant.key());
    if (current != null && current == grant.expiresAt()) {
      published.delete(grant.key());
    }
    expiryIndex.delete(indexKey(grant.expiresAt(), grant.key()));
  }

  @Override
  public List<GrantRules.Published> expiredBy(long now) {
    List<GrantRules.Published> result = new ArrayList<>();
    // keys are expiresAt (big-endian) + key: the range ends before the bare 8 bytes of now + 1
    Bytes to = Bytes.wrap(ByteBuffer.allocate(8).putLong(now + 1).array());
    try (KeyValueIterator<Bytes, byte[]> it = expiryIndex.range(null, to)) {
      while (it.hasNext()) {
        KeyValue<Bytes, byte[]> entry = it.next();
        if (entry.key.get().length > 8) {
          result.add(fromIndex(entry));
        }
      }
    }
    return result;
  }

  @Override
  public List<GrantRules.Published> allPublished() {
    List<GrantRules.Published> result = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> it = expiryIndex.all()) {
      while (it.hasNext()) {
        result.add(fromIndex(it.next()));
      }
    }
    return result;
  }

  private static GrantRules.Published fromIndex(KeyValue<Bytes, byte[]> entry) {
    ByteBuffer buffer = ByteBuffer.wrap(entry.key.get());
    long expiresAt = buffer.getLong();
    String key = new String(entry.key.get(), 8, entry.key.get().length - 8, StandardCharsets.UTF_8);
    return new GrantRules.Published(key, expiresAt, decodeUsers(entry.value));
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
  public boolean markSeen(String eventId, long eventTime) {
    if (seen.fetch(eventId, eventTime) != null) {
      return false;
    }
    seen.put(eventId, eventTime, eventTime);
    return true;
  }

  @Override
  public Long userRevokedAt(String user) {
    return revocations.get("u:" + user);
  }

  @Override
  public void putUserRevocation(String user, long revokedAt) {
    revocations.put("u:" + user, revokedAt);
  }

  @Override
  public List<GrantRules.KeyRevocation> keyRevocations() {
    List<GrantRules.KeyRevocation> result = new ArrayList<>();
    try (KeyValueIterator<String, Long> it = revocations.prefixScan("k:", new StringSerializer())) {
      while (it.hasNext()) {
        KeyValue<String, Long> entry = it.next();
        result.add(new GrantRules.KeyRevocation(entry.key.substring(2), entry.value));
      }
    }
    return result;
  }

  @Override
  public void putKeyRevocation(GrantRules.KeyRevocation revocation) {
    String k = "k:" + revocation.target();
    Long previous = revocations.get(k);
    if (previous == null || previous < revocation.revokedAt()) {
      revocations.put(k, revocation.revokedAt());
    }
  }

  @Override
  public void purgeBefore(long cutoff) {
    // seen ids and sessions expire with their stores' retention; revocations are few
    List<String> stale = new ArrayList<>();
    try (KeyValueIterator<String, Long> it = revocations.all()) {
      while (it.hasNext()) {
        KeyValue<String, Long> entry = it.next();
        if (entry.value < cutoff) {
          stale.add(entry.key);
        }
      }
    }
    stale.forEach(revocations::delete);
  }

  private static Bytes indexKey(long expiresAt, String key) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    return Bytes.wrap(ByteBuffer.allocate(8 + k.length).putLong(expiresAt).put(k).array());
  }

  private static byte[] encodeUsers(List<String> users) {
    return String.join("\0", users).getBytes(StandardCharsets.UTF_8);
  }

  private static List<String> decodeUsers(byte[] bytes) {
    if (bytes.length == 0) {
      return List.of();
    }
    return List.of(new String(bytes, StandardCharsets.UTF_8).split("\0", -1));
  }
}
