package org.popbeforesmtp.grants;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.popbeforesmtp.net.IpAddress;
import org.popbeforesmtp.net.LinearProbing;

/**
 * The key states of {@link InMemoryGrantStore}, by grant key. A key that is a dotted quad (most
 * keys) is found by its 32-bit value in an open-addressing table of plain arrays: a lookup reads
 * one array cell and the state, where a {@code HashMap} reads its table, a node, the stored key and
 * its bytes, each last touched a TTL of history earlier and out of the cache. Other keys (IPv6,
 * prefixes) are in a {@code HashMap}. Not thread-safe.
 */
final class KeyStateTable {
  private static final int FIRST_CAPACITY = 1 << 10;

  /** The dotted quad's value with bit 32 set (so that 0 marks an empty cell); 0 when empty. */
  private long[] codes = new long[FIRST_CAPACITY];

  private String[] keys = new String[FIRST_CAPACITY];
  private KeyState[] states = new KeyState[FIRST_CAPACITY];
  private int quads;

  private final Map<String, KeyState> others = new HashMap<>();

  KeyState get(String key) {
    long code = codeOf(key);
    if (code == 0) {
      return others.get(key);
    }
    int mask = codes.length - 1;
    for (int i = slot(code, mask); codes[i] != 0; i = (i + 1) & mask) {
      if (codes[i] == code) {
        return states[i];
      }
    }
    return null;
  }

  void put(String key, KeyState state) {
    long code = codeOf(key);
    if (code == 0) {
      others.put(key, state);
      return;
    }
    int mask = codes.length - 1;
    int i = slot(code, mask);
    while (codes[i] != 0) {
      if (codes[i] == code) {
        states[i] = state;
        return;
      }
      i = (i + 1) & mask;
    }
    codes[i] = code;
    keys[i] = key;
    states[i] = state;
    if (++quads * 2 > codes.length) {
      grow();
    }
  }

  void remove(String key) {
    long code = codeOf(key);
    if (code == 0) {
      others.remove(key);
      return;
    }
    int mask = codes.length - 1;
    int i = slot(code, mask);
    while (codes[i] != code) {
      if (codes[i] == 0) {
        return;
      }
      i = (i + 1) & mask;
    }
    // backward-shift deletion: move later entries of the probe run into the gap, so that no
    // lookup stops at it early (no tombstones)
    int gap = i;
    for (int j = (gap + 1) & mask; codes[j] != 0; j = (j + 1) & mask) {
      if (LinearProbing.fillsHole(gap, j, slot(codes[j], mask))) {
        codes[gap] = codes[j];
        keys[gap] = keys[j];
        states[gap] = states[j];
        gap = j;
      }
    }
    codes[gap] = 0;
    keys[gap] = null;
    states[gap] = null;
    quads--;
  }

  int size() {
    return quads + others.size();
  }

  /** Every key and its state, in no particular order. */
  void forEach(BiConsumer<String, KeyState> action) {
    for (int i = 0; i < codes.length; i++) {
      if (codes[i] != 0) {
        action.accept(keys[i], states[i]);
      }
    }
    others.forEach(action);
  }

  /** The keys, in no particular order (a copy). */
  List<String> keys() {
    List<String> all = new ArrayList<>(size());
    forEach((key, state) -> all.add(key));
    return all;
  }

  private void grow() {
    long[] oldCodes = codes;
    String[] oldKeys = keys;
    KeyState[] oldStates = states;
    codes = new long[oldCodes.length * 2];
    keys = new String[oldCodes.length * 2];
    states = new KeyState[oldCodes.length * 2];
    int mask = codes.length - 1;
    for (int k = 0; k < oldCodes.length; k++) {
      if (oldCodes[k] != 0) {
        int i = slot(oldCodes[k], mask);
        while (codes[i] != 0) {
          i = (i + 1) & mask;
        }
        codes[i] = oldCodes[k];
        keys[i] = oldKeys[k];
        states[i] = oldStates[k];
      }
    }
  }

  /** The table code of a dotted-quad key, or 0 for any other key. */
  private static long codeOf(String key) {
    long value = IpAddress.dottedQuad(key);
    return value < 0 ? 0 : value | (1L << 32);
  }

  private static int slot(long code, int mask) {
    return (int) ((code * 0x9E37_79B9_7F4A_7C15L) >>> 32) & mask;
  }
}
