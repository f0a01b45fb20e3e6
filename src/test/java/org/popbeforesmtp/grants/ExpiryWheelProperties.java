package org.popbeforesmtp.grants;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * The timing wheel hands out exactly what a sorted heap of the same entries would, in the same
 * order: entries due in the past, in the clock's current second, beyond the wheel's span, and with
 * clock jumps of any size.
 */
class ExpiryWheelProperties {
  private static final Comparator<GrantRules.Filed> BY_TIME = ExpiryWheel.BY_TIME;

  @Property(tries = 300)
  void shouldTakeWhatAHeapWouldInTheSameOrder(
      @ForAll @LongRange(min = 1, max = Long.MAX_VALUE / 4) long seed,
      @ForAll @IntRange(min = 1, max = 400) int steps) {
    Random random = new Random(seed);
    ExpiryWheel wheel = new ExpiryWheel();
    PriorityQueue<GrantRules.Filed> model = new PriorityQueue<>(BY_TIME);
    long now = 1_700_000_000_000L + random.nextInt(1_000_000);
    for (int step = 0; step < steps; step++) {
      int filings = random.nextInt(4);
      for (int i = 0; i < filings; i++) {
        long at =
            switch (random.nextInt(6)) {
              case 0 -> now - random.nextInt(5_000); // overdue
              case 1 -> now + random.nextInt(1_000); // within the current second or the next
              case 2 -> now + (ExpiryWheel.SLOTS + random.nextInt(3 * ExpiryWheel.SLOTS)) * 1000L;
              default -> now + random.nextInt(3_600_000);
            };
        String key = "10.0.0." + random.nextInt(50);
        wheel.add(key, null, at);
        model.add(new GrantRules.Filed(at, key));
      }
      now +=
          switch (random.nextInt(5)) {
            case 0 -> random.nextInt(50); // within a second
            case 1 -> 1_000L * ExpiryWheel.SLOTS * (1 + random.nextInt(3)); // a jump past the span
            default -> random.nextInt(120_000);
          };
      List<GrantRules.Filed> expected = new ArrayList<>();
      while (!model.isEmpty() && model.peek().at() <= now) {
        expected.add(model.poll());
      }
      assertThat(wheel.takeDue(now)).as("due at %d, step %d", now, step).isEqualTo(expected);
    }
    now += 1_000L * 4 * ExpiryWheel.SLOTS;
    assertThat(wheel.takeDue(now)).containsExactlyElementsOf(sorted(model));
  }

  private static List<GrantRules.Filed> sorted(PriorityQueue<GrantRules.Filed> model) {
    List<GrantRules.Filed> all = new ArrayList<>(model);
    all.sort(BY_TIME);
    return all;
  }
}
