package org.popbeforesmtp.grants;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The expiry index of {@link InMemoryGrantStore}: a timing wheel of one-second slots over the next
 * {@link #SLOTS} seconds, and a heap for entries due later than that. Entries live in flat arrays
 * (a pool, each slot a linked list through {@code next}), so filing writes a few array cells and
 * taking what is due walks the slots the clock passed: no comparison and no object per entry until
 * it falls due. A heap of entry objects costs several cache misses per filing and per entry taken
 * when it holds millions, as a replay of history does.
 *
 * <p>Entries are never removed before they fall due: {@link GrantRules#expire} skips those its key
 * no longer owns. Not thread-safe.
 */
final class ExpiryWheel {
  /** The order entries are taken in: by time, then key. */
  static final Comparator<GrantRules.Filed> BY_TIME =
      Comparator.comparingLong(GrantRules.Filed::at).thenComparing(GrantRules.Filed::key);

  /** Seconds the wheel spans: more than a session's retention at the default TTL. */
  static final int SLOTS = 1 << 13;

  private static final int MASK = SLOTS - 1;
  private static final int NONE = -1;

  /** First entry of each slot's list; allocated on first use (most stores in tests never file). */
  private int[] head;

  private long[] at = new long[0];
  private String[] key = new String[0];
  private KeyState[] state = new KeyState[0];
  private int[] next = new int[0];

  /** Unused entries, linked through {@code next}. */
  private int free = NONE;

  private int used;

  /** Entries due {@link #SLOTS} seconds or more after the cursor. */
  private final PriorityQueue<GrantRules.Filed> later = new PriorityQueue<>(BY_TIME);

  /**
   * The clock's second at the last {@link #takeDue}: the earliest whose slot may hold entries (an
   * entry filed overdue goes into it); none before the first takeDue.
   */
  private long cursor = Long.MIN_VALUE;

  /** Entries in the slots (not counting {@link #later}). */
  private int size;

  /**
   * Files {@code k} (whose state is {@code s}) to be looked at when the clock reaches {@code t}.
   */
  void add(String k, KeyState s, long t) {
    long second = Math.floorDiv(t, 1000);
    if (cursor == Long.MIN_VALUE || second - cursor >= SLOTS) {
      // before the first takeDue the clock is unknown: the heap holds what is filed until then
      later.add(new GrantRules.Filed(t, k, s));
      return;
    }
    // an entry due before the cursor (already overdue) is taken with the cursor's second
    put(Math.max(second, cursor), k, s, t);
  }

  private void put(long second, String k, KeyState s, long t) {
    if (head == null) {
      head = new int[SLOTS];
      Arrays.fill(head, NONE);
    }
    int e = free;
    if (e != NONE) {
      free = next[e];
    } else {
      if (used == at.length) {
        int capacity = Math.max(1024, used * 2);
        at = Arrays.copyOf(at, capacity);
        key = Arrays.copyOf(key, capacity);
        state = Arrays.copyOf(state, capacity);
        next = Arrays.copyOf(next, capacity);
      }
      e = used++;
    }
    int slot = (int) (second & MASK);
    at[e] = t;
    key[e] = k;
    state[e] = s;
    next[e] = head[slot];
    head[slot] = e;
    size++;
  }

  /** Takes the entries with {@code at <= now} out of the index, by (at, key). */
  List<GrantRules.Filed> takeDue(long now) {
    long nowSecond = Math.floorDiv(now, 1000);
    if (cursor == Long.MIN_VALUE) {
      cursor = nowSecond;
    }
    if (size == 0 && later.isEmpty()) {
      cursor = Math.max(cursor, nowSecond);
      return List.of();
    }
    List<GrantRules.Filed> due = new ArrayList<>();
    // every slot entry lies within SLOTS seconds of the cursor: past that, all of them are due
    long last = Math.min(Math.max(nowSecond, cursor), cursor + SLOTS - 1);
    for (long second = cursor; second <= last && size > 0; second++) {
      int slot = (int) (second & MASK);
      int e = head == null ? NONE : head[slot];
      int kept = NONE;
      while (e != NONE) {
        int after = next[e];
        if (second < nowSecond || at[e] <= now) {
          due.add(new GrantRules.Filed(at[e], key[e], state[e]));
          key[e] = null;
          state[e] = null;
          next[e] = free;
          free = e;
          size--;
        } else {
          next[e] = kept;
          kept = e;
        }
        e = after;
      }
      if (head != null) {
        head[slot] = kept;
      }
    }
    cursor = Math.max(cursor, nowSecond);
    // entries filed beyond the wheel come into it as the cursor moves (or are due already)
    while (!later.isEmpty() && Math.floorDiv(later.peek().at(), 1000) - cursor < SLOTS) {
      GrantRules.Filed f = later.poll();
      if (f.at() <= now) {
        due.add(f);
      } else {
        put(Math.max(Math.floorDiv(f.at(), 1000), cursor), f.key(), f.state(), f.at());
      }
    }
    sort(due);
    return due;
  }

  /** By (at, key); lists are short (what fell due in a second or two), so insertion sort. */
  private static void sort(List<GrantRules.Filed> due) {
    for (int i = 1; i < due.size(); i++) {
      GrantRules.Filed f = due.get(i);
      int j = i - 1;
      while (j >= 0 && BY_TIME.compare(due.get(j), f) > 0) {
        due.set(j + 1, due.get(j));
        j--;
      }
      due.set(j + 1, f);
    }
  }
}
