package org.popbeforesmtp.grants;

import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The event ids applied to one key with their event times, in the order applied, at most {@code
 * cap} (the oldest applied goes first). Arrays, so that the common key (one to a few ids within a
 * TTL) costs three small arrays and no object per id; a hash set of the ids is kept only while
 * there are many, so that a busy key's lookup stays O(1). Mutable; owned by {@link KeyState}.
 */
final class SeenIds {
  /** From this many ids on, membership is answered by a hash set rather than a scan. */
  private static final int INDEXED_FROM = 16;

  private final int cap;
  private String[] ids;
  private long[] times;

  // each id's hash beside it: a lookup compares these and reads a stored id (an object and its
  // bytes, last touched up to a TTL earlier) only when one matches
  private int[] hashes;
  private int size;
  private Set<String> index;

  // bounds of the times, kept so that a prune with nothing to forget reads nothing else (the
  // oldest may be lower than the true one after the oldest applied was evicted: a prune then only
  // looks and finds nothing)
  private long oldest = Long.MAX_VALUE;
  private long newest = Long.MIN_VALUE;

  private static final String[] NO_IDS = {};
  private static final long[] NO_TIMES = {};
  private static final int[] NO_HASHES = {};

  SeenIds(int cap) {
    this.cap = cap;
    this.ids = NO_IDS;
    this.times = NO_TIMES;
    this.hashes = NO_HASHES;
  }

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  String id(int i) {
    return ids[i];
  }

  long time(int i) {
    return times[i];
  }

  /** The latest event time of the ids kept (Long.MIN_VALUE when none). */
  long newest() {
    return newest;
  }

  /** Records {@code id}; false when it is already there. */
  boolean add(String id, long time) {
    if (contains(id)) {
      return false;
    }
    if (size == ids.length) {
      ids = Arrays.copyOf(ids, Math.max(2, size * 2));
      times = Arrays.copyOf(times, Math.max(2, size * 2));
      hashes = Arrays.copyOf(hashes, Math.max(2, size * 2));
    }
    ids[size] = id;
    times[size] = time;
    hashes[size] = id.hashCode();
    size++;
    if (index != null) {
      index.add(id);
    } else if (size >= INDEXED_FROM) {
      index = new HashSet<>(Arrays.asList(ids).subList(0, size));
    }
    oldest = Math.min(oldest, time);
    newest = Math.max(newest, time);
    if (size > cap) {
      if (index != null) {
        index.remove(ids[0]);
      }
      long evicted = times[0];
      System.arraycopy(ids, 1, ids, 0, size - 1);
      System.arraycopy(times, 1, times, 0, size - 1);
      System.arraycopy(hashes, 1, hashes, 0, size - 1);
      size--;
      ids[size] = null;
      if (evicted >= newest) { // rare: the first applied was the latest dated
        bounds();
      }
    }
    return true;
  }

  private boolean contains(String id) {
    if (index != null) {
      return index.contains(id);
    }
    int hash = id.hashCode();
    for (int i = 0; i < size; i++) {
      if (hashes[i] == hash && ids[i].equals(id)) {
        return true;
      }
    }
    return false;
  }

  /** Forgets the ids with an event time at or before {@code cutoff}. */
  void forgetUpTo(long cutoff) {
    if (oldest > cutoff) {
      return;
    }
    if (newest <= cutoff) {
      // dropped, not cleared: the arrays were last touched a TTL ago and are out of the cache
      ids = NO_IDS;
      times = NO_TIMES;
      hashes = NO_HASHES;
      size = 0;
      index = null;
    } else {
      int kept = 0;
      for (int i = 0; i < size; i++) {
        if (times[i] > cutoff) {
          ids[kept] = ids[i];
          times[kept] = times[i];
          hashes[kept] = hashes[i];
          kept++;
        } else if (index != null) {
          index.remove(ids[i]);
        }
      }
      Arrays.fill(ids, kept, size, null);
      size = kept;
      if (index != null && size < INDEXED_FROM / 2) {
        index = null;
      }
    }
    bounds();
  }

  private void bounds() {
    oldest = Long.MAX_VALUE;
    newest = Long.MIN_VALUE;
    for (int i = 0; i < size; i++) {
      oldest = Math.min(oldest, times[i]);
      newest = Math.max(newest, times[i]);
    }
  }

  /** The ids and times, in the order applied (a copy). */
  Map<String, Long> toMap() {
    Map<String, Long> map = new LinkedHashMap<>();
    for (int i = 0; i < size; i++) {
      map.put(ids[i], times[i]);
    }
    return map;
  }
}
