package org.popbeforesmtp.audit;

import java.io.PrintWriter;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.grants.GrantPolicy;

/**
 * CSV (RFC 4180), streamed: a header, a {@code rules} row, one row per grant (with its latest
 * login) and per refusal.
 */
final class CsvOutput extends AuditOutput {
  CsvOutput(PrintWriter out, GrantPolicy policy) {
    super(out, policy);
  }

  @Override
  public void begin() {
    row(
        "type",
        "key",
        "from",
        "until",
        "ending",
        "granted_at",
        "event_count",
        "users",
        "event_id",
        "username",
        "client_ip",
        "protocol",
        "server",
        "event_time",
        "reason",
        "detail");
    row("rules", "", "", "", "", "", "", "", "", "", "", "", "", "", "", rules(policy));
  }

  @Override
  public void interval(GrantInterval i) {
    Contribution c = i.events().isEmpty() ? null : i.events().get(i.events().size() - 1);
    row(
        "grant",
        i.key(),
        time(i.from()),
        time(i.until()),
        ending(i),
        time(i.grantedAt()),
        Integer.toString(i.eventCount()),
        users(i),
        c == null ? "" : c.eventId(),
        c == null ? "" : c.username(),
        c == null ? "" : c.clientIp(),
        c == null ? "" : c.protocol().name(),
        c == null ? "" : c.serverId(),
        c == null ? "" : time(c.eventTime()),
        "",
        i.endedBy());
  }

  @Override
  public void refusal(RefusedLogin r) {
    LoginEvent e = r.event();
    row(
        "refusal",
        r.key(),
        "",
        "",
        "",
        "",
        "",
        "",
        e.getEventId(),
        e.getUsername(),
        e.getClientIp(),
        e.getProtocol() == null ? "" : e.getProtocol().name(),
        e.getServerId(),
        e.getEventTime() == null ? "" : time(e.getEventTime().toEpochMilli()),
        r.reason(),
        r.detail());
  }

  @Override
  public void end(Audit.Report report, Verdict verdict) {
    if (verdict != null) {
      row(
          "verdict",
          verdict.interval() == null ? "" : verdict.interval().key(),
          time(verdict.at()),
          "",
          verdict.allowed() ? "allowed" : "not-allowed",
          "",
          "",
          "",
          verdict.login() == null ? "" : verdict.login().eventId(),
          verdict.login() == null ? "" : verdict.login().username(),
          "",
          "",
          "",
          "",
          "",
          "");
    }
    out.flush();
  }

  private void row(String... cells) {
    StringBuilder b = new StringBuilder();
    for (int c = 0; c < cells.length; c++) {
      if (c > 0) {
        b.append(',');
      }
      String v = cells[c] == null ? "" : cells[c];
      if (v.indexOf(',') >= 0 || v.indexOf('"') >= 0 || v.indexOf('\n') >= 0) {
        b.append('"').append(v.replace("\"", "\"\"")).append('"');
      } else {
        b.append(v);
      }
    }
    out.print(b.append("\r\n"));
  }
}
