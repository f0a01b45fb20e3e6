package org.popbeforesmtp.audit;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import org.popbeforesmtp.grants.GrantPolicy;

/** Formats that need everything before they write (sorted output, one document). */
abstract class CollectingOutput extends AuditOutput {
  final List<GrantInterval> intervals = new ArrayList<>();
  final List<RefusedLogin> refusals = new ArrayList<>();

  CollectingOutput(PrintWriter out, GrantPolicy policy) {
    super(out, policy);
  }

  @Override
  public void interval(GrantInterval interval) {
    intervals.add(interval);
  }

  @Override
  public void refusal(RefusedLogin refused) {
    refusals.add(refused);
  }
}
