package org.popbeforesmtp.grants;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * The key-state table answers as a map would: dotted quads in its arrays (through growth and
 * backward-shift deletion in long probe runs) and every other key beside them.
 */
class KeyStateTableProperties {
  @Property(tries = 200)
  void shouldAnswerAsAMap(
      @ForAll @LongRange(min = 1, max = Long.MAX_VALUE / 4) long seed,
      @ForAll @IntRange(min = 1, max = 5_000) int keySpace) {
    Random random = new Random(seed);
    KeyStateTable table = new KeyStateTable();
    Map<String, KeyState> model = new HashMap<>();
    for (int step = 0; step < 4_000; step++) {
      String key = key(random, keySpace);
      switch (random.nextInt(3)) {
        case 0 -> {
          KeyState state = new KeyState();
          table.put(key, state);
          model.put(key, state);
        }
        case 1 -> {
          table.remove(key);
          model.remove(key);
        }
        default ->
            assertThat(table.get(key)).as("%s at step %d", key, step).isSameAs(model.get(key));
      }
      assertThat(table.size()).isEqualTo(model.size());
    }
    Map<String, KeyState> all = new HashMap<>();
    table.forEach(all::put);
    assertThat(all).isEqualTo(model);
    assertThat(table.keys()).containsExactlyInAnyOrderElementsOf(model.keySet());
    for (String key : model.keySet()) {
      assertThat(table.get(key)).isSameAs(model.get(key));
    }
  }

  /** Mostly dotted quads (some in one /24, so their probe runs collide), some other keys. */
  private static String key(Random random, int keySpace) {
    int n = random.nextInt(keySpace);
    return switch (n % 5) {
      case 0 -> "2001:db8::" + Integer.toHexString(n);
      case 1 -> "10.0.0." + (n % 256);
      case 2 -> "10.0." + (n / 256 % 256) + ".0/24";
      default -> "198." + (n >> 16 & 255) + "." + (n >> 8 & 255) + "." + (n & 255);
    };
  }
}
