package org.popbeforesmtp.edge;

import java.util.concurrent.locks.StampedLock;
import org.popbeforesmtp.net.IpAddress;
import org.popbeforesmtp.net.IpPrefix;
import org.popbeforesmtp.net.LinearProbing;

/**
 * The edge's hot table: grant key (address or prefix) → expiresAt, in parallel primitive arrays
 * with open addressing and linear probing (no per-entry objects: ~29 bytes per slot, load factor at
 * most 0.5). One writer (the cache's consumer thread), any number of readers; readers take an
 * optimistic stamp and retry under the read lock only when a write overlapped.
 *
 * <p>With {@code keepUsers} the table also holds each grant's username (for whoson's {@code
 * +<user>} answer, read with the expiry in {@link #grant}): one more reference per slot plus the
 * strings, so only when a protocol needs it.
 *
 * <p>A lookup tries the address itself, then each prefix length present in the table for the
 * address's family (usually none or one, e.g. /64), so prefix grants cost nothing when unused.
 */
public final class GrantTable {
  private static final int MIN_CAPACITY = 1024;

  private final StampedLock lock = new StampedLock();
  // meta: 0 = empty slot, else 1 + (v4 ? 0 : 256) + prefix length
  private int[] meta;
  private long[] his;
  private long[] los;
  private long[] expires;
  private String[] users; // null unless keepUsers
  private final boolean keepUsers;
  private int size;
  private final int[] v4Lengths = new int[33];
  private final int[] v6Lengths = new int[129];

  /** A table of expiries only. */
  public GrantTable() {
    this(false);
  }

  /**
   * @param keepUsers also hold each grant's username ({@link Grant#user})
   */
  public GrantTable(boolean keepUsers) {
    this.keepUsers = keepUsers;
    allocate(MIN_CAPACITY);
  }

  private void allocate(int capacity) {
    meta = new int[capacity];
    his = new long[capacity];
    los = new long[capacity];
    expires = new long[capacity];
    users = keepUsers ? new String[capacity] : null;
  }

  /** Number of keys held. */
  public int size() {
    return size;
  }

  /** Bytes held by the table's arrays (for the bytes-per-grant figure). */
  public long arrayBytes() {
    return (long) meta.length * (4 + 8 + 8 + 8 + (keepUsers ? 4 : 0));
  }

  /** Inserts or replaces the grant of {@code key}. */
  public void put(IpPrefix key, long expiresAt) {
    put(key, expiresAt, null);
  }

  /** Inserts or replaces the grant of {@code key}, with its user when the table keeps users. */
  public void put(IpPrefix key, long expiresAt, String user) {
    long stamp = lock.writeLock();
    try {
      if ((size + 1) * 2 > meta.length) {
        resize(meta.length * 2);
      }
      int m = metaOf(key);
      long hi = key.network().hi();
      long lo = key.network().lo();
      int i = slot(m, hi, lo);
      if (meta[i] != 0) {
        expires[i] = expiresAt;
        if (keepUsers) {
          users[i] = user;
        }
        return;
      }
      meta[i] = m;
      his[i] = hi;
      los[i] = lo;
      expires[i] = expiresAt;
      if (keepUsers) {
        users[i] = user;
      }
      size++;
      lengths(key.network().isV4())[key.length()]++;
    } finally {
      lock.unlockWrite(stamp);
    }
  }

  /** Removes the grant of {@code key} (a tombstone); no-op when absent. */
  public void remove(IpPrefix key) {
    long stamp = lock.writeLock();
    try {
      int i = slot(metaOf(key), key.network().hi(), key.network().lo());
      if (meta[i] != 0) {
        deleteAt(i);
        size--;
        lengths(key.network().isV4())[key.length()]--;
      }
    } finally {
      lock.unlockWrite(stamp);
    }
  }

  /** The slot holding the key {@code (m, hi, lo)}, or the empty slot where it would go. */
  private int slot(int m, long hi, long lo) {
    int mask = meta.length - 1;
    int i = hash(m, hi, lo) & mask;
    while (meta[i] != 0 && !(meta[i] == m && his[i] == hi && los[i] == lo)) {
      i = (i + 1) & mask;
    }
    return i;
  }

  /** Backward-shift deletion: keeps probe chains intact without tombstone markers. */
  private void deleteAt(int hole) {
    int mask = meta.length - 1;
    int i = hole;
    while (true) {
      i = (i + 1) & mask;
      if (meta[i] == 0) {
        break;
      }
      int home = hash(meta[i], his[i], los[i]) & mask;
      if (LinearProbing.fillsHole(hole, i, home)) {
        meta[hole] = meta[i];
        his[hole] = his[i];
        los[hole] = los[i];
        expires[hole] = expires[i];
        if (keepUsers) {
          users[hole] = users[i];
        }
        hole = i;
      }
    }
    meta[hole] = 0;
    if (keepUsers) {
      users[hole] = null;
    }
  }

  private void resize(int capacity) {
    int[] oldMeta = meta;
    long[] oldHis = his;
    long[] oldLos = los;
    long[] oldExpires = expires;
    String[] oldUsers = users;
    allocate(capacity);
    int mask = capacity - 1;
    for (int j = 0; j < oldMeta.length; j++) {
      if (oldMeta[j] != 0) {
        int i = hash(oldMeta[j], oldHis[j], oldLos[j]) & mask;
        while (meta[i] != 0) {
          i = (i + 1) & mask;
        }
        meta[i] = oldMeta[j];
        his[i] = oldHis[j];
        los[i] = oldLos[j];
        expires[i] = oldExpires[j];
        if (keepUsers) {
          users[i] = oldUsers[j];
        }
      }
    }
  }

  /** A covering grant: when it ends, and its user when the table keeps users (else null). */
  public record Grant(long expiresAt, String user) {}

  /**
   * The grant covering {@code address} (the address itself or a prefix containing it) with the
   * latest expiresAt, or null when none: expiry and user read together, in one pass.
   */
  public Grant grant(IpAddress address) {
    long stamp = lock.tryOptimisticRead();
    if (stamp != 0) {
      Grant result;
      try {
        result = at(find(address));
      } catch (ArrayIndexOutOfBoundsException e) {
        // a resize raced the optimistic read; validate() below fails and we retry locked
        result = null;
      }
      if (lock.validate(stamp)) {
        return result;
      }
    }
    stamp = lock.readLock();
    try {
      return at(find(address));
    } finally {
      lock.unlockRead(stamp);
    }
  }

  /** The latest expiresAt among the keys covering {@code address}, or {@link Long#MIN_VALUE}. */
  public long expiresAt(IpAddress address) {
    Grant grant = grant(address);
    return grant == null ? Long.MIN_VALUE : grant.expiresAt();
  }

  private Grant at(int slot) {
    return slot < 0 ? null : new Grant(expires[slot], keepUsers ? users[slot] : null);
  }

  /** The slot of the covering key with the latest expiry, or -1. */
  private int find(IpAddress address) {
    boolean v4 = address.isV4();
    int[] counts = v4 ? v4Lengths : v6Lengths;
    int best = -1;
    for (int length = counts.length - 1; length >= 0; length--) {
      if (counts[length] == 0) {
        continue;
      }
      IpAddress network = address.mask(length);
      int slot = lookup(meta(v4, length), network.hi(), network.lo());
      if (slot >= 0 && (best < 0 || expires[slot] > expires[best])) {
        best = slot;
      }
    }
    return best;
  }

  private int lookup(int m, long hi, long lo) {
    int[] meta = this.meta;
    long[] his = this.his;
    long[] los = this.los;
    int mask = meta.length - 1;
    int i = hash(m, hi, lo) & mask;
    for (int probes = 0; probes < meta.length && meta[i] != 0; probes++) {
      if (meta[i] == m && his[i] == hi && los[i] == lo) {
        return i;
      }
      i = (i + 1) & mask;
    }
    return -1;
  }

  private int[] lengths(boolean v4) {
    return v4 ? v4Lengths : v6Lengths;
  }

  private static int metaOf(IpPrefix key) {
    return meta(key.network().isV4(), key.length());
  }

  private static int meta(boolean v4, int length) {
    return 1 + (v4 ? 0 : 256) + length;
  }

  private static int hash(int m, long hi, long lo) {
    long h = hi * 0x9E3779B97F4A7C15L + lo * 0xC2B2AE3D27D4EB4FL + m;
    h ^= h >>> 31;
    h *= 0x94D049BB133111EBL;
    return (int) (h ^ (h >>> 29));
  }
}
