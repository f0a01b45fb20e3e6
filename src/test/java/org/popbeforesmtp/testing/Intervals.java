package org.popbeforesmtp.testing;

import java.util.List;
import org.popbeforesmtp.audit.GrantInterval;

/** Grant intervals compared by what relay.grants can tell (no reasons, no contributing logins). */
public final class Intervals {
  private Intervals() {}

  /** One sorted line per interval: key, from..until, how it ended, session start, event count. */
  public static List<String> project(List<GrantInterval> intervals) {
    return intervals.stream()
        .map(
            i ->
                i.key()
                    + " "
                    + i.from()
                    + ".."
                    + i.until()
                    + " "
                    + (i.ending() == GrantInterval.Ending.REVOKED
                            || i.ending() == GrantInterval.Ending.SHARED_ADDRESS
                        ? GrantInterval.Ending.ENDED
                        : i.ending())
                    + " granted "
                    + i.grantedAt()
                    + " events "
                    + i.eventCount())
        .sorted()
        .toList();
  }
}
