package org.popbeforesmtp.audit;

import java.io.PrintWriter;
import org.popbeforesmtp.grants.GrantPolicy;

/** One JSON object per line, streamed: rules first, then grants and refusals, summary last. */
final class JsonLinesOutput extends AuditOutput {
  JsonLinesOutput(PrintWriter out, GrantPolicy policy) {
    super(out, policy);
  }

  @Override
  public void begin() {
    out.println(jsonRules(policy).toString());
  }

  @Override
  public void interval(GrantInterval interval) {
    out.println(json(interval).toString());
  }

  @Override
  public void refusal(RefusedLogin refused) {
    out.println(json(refused).toString());
  }

  @Override
  public void end(Audit.Report report, Verdict verdict) {
    if (verdict != null) {
      out.println(jsonVerdict(verdict).toString());
    }
    out.println(jsonSummary(report).toString());
    out.flush();
  }
}
