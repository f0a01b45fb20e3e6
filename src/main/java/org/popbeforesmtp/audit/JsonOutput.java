package org.popbeforesmtp.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import org.popbeforesmtp.grants.GrantPolicy;
import org.popbeforesmtp.text.Json;

/** One JSON document: rules, summary, verdict, grants, refusals. */
final class JsonOutput extends CollectingOutput {
  JsonOutput(PrintWriter out, GrantPolicy policy) {
    super(out, policy);
  }

  @Override
  public void end(Audit.Report report, Verdict verdict) {
    ObjectNode doc = Json.mapper().createObjectNode();
    doc.set("rules", jsonRules(policy).without("type"));
    doc.set("summary", jsonSummary(report).without("type"));
    if (verdict != null) {
      doc.set("verdict", ((ObjectNode) jsonVerdict(verdict)).without("type"));
    }
    intervals.sort(BY_TIME);
    ArrayNode grants = doc.putArray("grants");
    intervals.forEach(i -> grants.add(json(i).without("type")));
    ArrayNode refused = doc.putArray("refusals");
    refusals.forEach(r -> refused.add(json(r).without("type")));
    try {
      out.println(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(doc));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    out.flush();
  }
}
