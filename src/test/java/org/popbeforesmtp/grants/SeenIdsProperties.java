package org.popbeforesmtp.grants;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * The event-id arrays answer as an insertion-ordered map with a cap would: across the switch to and
 * from the hash index, evictions at the cap, and forgetting by time.
 */
class SeenIdsProperties {
  @Property(tries = 300)
  void shouldBehaveAsAnInsertionOrderedMapWithACap(
      @ForAll @LongRange(min = 1, max = Long.MAX_VALUE / 4) long seed,
      @ForAll @IntRange(min = 1, max = 60) int cap) {
    Random random = new Random(seed);
    SeenIds seen = new SeenIds(cap);
    LinkedHashMap<String, Long> model = new LinkedHashMap<>();
    long now = 0;
    for (int step = 0; step < 500; step++) {
      now += random.nextInt(100);
      if (random.nextInt(10) == 0) {
        long cutoff = now - random.nextInt(2_000);
        seen.forgetUpTo(cutoff);
        model.values().removeIf(t -> t <= cutoff);
      } else {
        String id = "ev-" + random.nextInt(80);
        long time = now - random.nextInt(500);
        boolean added = model.putIfAbsent(id, time) == null;
        if (added && model.size() > cap) {
          Iterator<String> oldest = model.keySet().iterator();
          oldest.next();
          oldest.remove();
        }
        assertThat(seen.add(id, time)).as("add %s at step %d", id, step).isEqualTo(added);
      }
      assertThat(seen.toMap()).containsExactlyEntriesOf(model);
      assertThat(seen.newest())
          .isEqualTo(model.values().stream().mapToLong(t -> t).max().orElse(Long.MIN_VALUE));
    }
  }
}
