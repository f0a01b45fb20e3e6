package org.popbeforesmtp.audit;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.grants.GrantPolicy;

/** Collects, then prints aligned tables. */
final class TableOutput extends CollectingOutput {
  TableOutput(PrintWriter out, GrantPolicy policy) {
    super(out, policy);
  }

  @Override
  public void end(Audit.Report report, Verdict verdict) {
    out.println("rules: " + rules(policy));
    out.println(readSummary(report));
    out.println();
    if (verdict != null) {
      out.println(verdictLine(verdict));
      out.println();
    }
    intervals.sort(BY_TIME);
    if (intervals.isEmpty()) {
      out.println("no grants in the range");
    } else {
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"KEY", "FROM", "UNTIL", "ENDED", "EVENTS", "USERS"});
      for (GrantInterval i : intervals) {
        rows.add(
            new String[] {
              i.key(),
              time(i.from()),
              time(i.until()),
              ending(i) + (i.endedBy().isEmpty() ? "" : " (" + i.endedBy() + ")"),
              Integer.toString(i.eventCount()),
              users(i)
            });
      }
      print(rows);
      if (intervals.size() <= 50) {
        for (GrantInterval i : intervals) {
          out.println();
          out.println(
              i.key()
                  + " "
                  + time(i.from())
                  + (i.startsBeforeReplay() ? " (may have started before the replay window)" : "")
                  + ":");
          List<String[]> events = new ArrayList<>();
          boolean first = true;
          for (Contribution c : i.events()) {
            events.add(
                new String[] {
                  "  " + (first ? "opened" : "extended"),
                  time(c.eventTime()),
                  c.eventId(),
                  c.username(),
                  c.protocol().name(),
                  c.serverId(),
                  c.clientIp(),
                  c.revokedAt() == null ? "" : "revoked at " + time(c.revokedAt())
                });
            first = false;
          }
          print(events);
          if (i.eventsOmitted() > 0) {
            out.println("  (" + i.eventsOmitted() + " more logins not shown)");
          }
        }
      }
    }
    if (!refusals.isEmpty()) {
      out.println();
      out.println("refused logins:");
      List<String[]> rows = new ArrayList<>();
      for (RefusedLogin r : refusals) {
        LoginEvent e = r.event();
        rows.add(
            new String[] {
              "  " + (e.getEventTime() == null ? "" : time(e.getEventTime().toEpochMilli())),
              String.valueOf(e.getEventId()),
              String.valueOf(e.getUsername()),
              String.valueOf(e.getClientIp()),
              r.reason() + (r.detail().isEmpty() ? "" : ": " + r.detail())
            });
      }
      print(rows);
    }
    undecodable(report);
    out.flush();
  }

  private void undecodable(Audit.Report report) {
    HistoryReader.Summary s = report.read();
    if (s.undecodableCount() == 0) {
      return;
    }
    out.println();
    out.println(s.undecodableCount() + " undecodable records (skipped):");
    for (HistoryReader.Undecodable u : s.undecodable()) {
      out.println("  " + u.topic() + "-" + u.partition() + "@" + u.offset() + ": " + u.reason());
    }
  }

  private void print(List<String[]> rows) {
    int columns = rows.get(0).length;
    int[] width = new int[columns];
    for (String[] row : rows) {
      for (int c = 0; c < columns; c++) {
        width[c] = Math.max(width[c], row[c].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder b = new StringBuilder();
      for (int c = 0; c < columns; c++) {
        b.append(row[c]);
        if (c < columns - 1) {
          b.append(" ".repeat(width[c] - row[c].length() + 2));
        }
      }
      out.println(b.toString().stripTrailing());
    }
  }
}
