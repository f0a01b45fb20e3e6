package org.popbeforesmtp.audit;

import java.util.List;
import org.popbeforesmtp.grants.GrantPolicy;

/**
 * Whether a key could relay at one instant, and why.
 *
 * @param interval the grant that covered it, or null
 * @param login the login whose TTL covered the instant, or null
 */
public record Verdict(long at, boolean allowed, GrantInterval interval, Contribution login) {

  /** The verdict at {@code at} from the intervals of one key (or the keys of one prefix). */
  public static Verdict at(List<GrantInterval> intervals, long at, GrantPolicy policy) {
    for (GrantInterval i : intervals) {
      if (!i.covers(at)) {
        continue;
      }
      Contribution best = null;
      for (Contribution c : i.events()) {
        if (c.arrival() <= at && c.covers(at, policy)) {
          if (best == null || c.eventTime() >= best.eventTime()) {
            best = c;
          }
        }
      }
      if (best == null) {
        // dated ahead within the clock skew: the grant was live before its login's own time
        for (Contribution c : i.events()) {
          if (c.arrival() <= at && (best == null || c.eventTime() >= best.eventTime())) {
            best = c;
          }
        }
      }
      return new Verdict(at, true, i, best);
    }
    return new Verdict(at, false, null, null);
  }
}
