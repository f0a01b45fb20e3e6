package org.popbeforesmtp.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.config.Durations;
import org.popbeforesmtp.grants.GrantPolicy;
import org.popbeforesmtp.query.GrantJson;

/**
 * Writes audit answers: a readable table (default), one JSON document, JSON lines or CSV. JSON
 * lines and CSV stream each interval as it closes (exports of any size); table and JSON sort them
 * first. Every format states the rules the history was replayed with.
 */
public abstract class AuditOutput {
  /** The output formats. */
  public enum Format {
    TABLE,
    JSON,
    JSONL,
    CSV
  }

  protected final PrintWriter out;
  protected final GrantPolicy policy;

  AuditOutput(PrintWriter out, GrantPolicy policy) {
    this.out = out;
    this.policy = policy;
  }

  /** A writer of {@code format}. */
  public static AuditOutput of(Format format, PrintWriter out, GrantPolicy policy) {
    return switch (format) {
      case TABLE -> new Table(out, policy);
      case JSON -> new Json(out, policy);
      case JSONL -> new JsonLines(out, policy);
      case CSV -> new Csv(out, policy);
    };
  }

  /** Called once before the replay. */
  public void begin() {}

  public abstract void interval(GrantInterval interval);

  public abstract void refusal(Refused refused);

  /**
   * Called once after the replay.
   *
   * @param verdict the answer for {@code --at}, or null
   */
  public abstract void end(Audit.Report report, Verdict verdict);

  /** The rules replayed with, in one line. */
  public static String rules(GrantPolicy p) {
    return "ttl="
        + Durations.format(p.ttl())
        + " max-future-skew="
        + Durations.format(p.maxFutureSkew())
        + " ipv4-prefix-length="
        + p.keys().ipv4PrefixLength()
        + " ipv6-prefix-length="
        + p.keys().ipv6PrefixLength()
        + " never-grant="
        + (p.neverGrant().isEmpty() ? "none" : p.neverGrant().toString().replace(" ", ""))
        + " max-users-per-key="
        + (p.maxUsersPerKey() == 0 ? "off" : Integer.toString(p.maxUsersPerKey()));
  }

  /** What was read, in one line. */
  public static String readSummary(Audit.Report r) {
    HistoryReader.Summary s = r.read();
    String partitions =
        r.partitions() == null
            ? "all " + s.partitions() + " partitions"
            : "partition " + r.partitions().get(0) + " of " + s.partitions();
    return String.format(
        Locale.ROOT,
        "read %s of %s and %s from %s (range %s .. %s): %,d logins, %,d revocations, %,d"
            + " undecodable, in %.1f s (%,.0f records/s)",
        partitions,
        r.topics().logins(),
        r.topics().revocations(),
        time(r.readFrom()),
        time(r.from()),
        r.to() == Long.MAX_VALUE ? "now" : time(r.to()),
        s.loginRecords(),
        s.revocationRecords(),
        s.undecodableCount(),
        r.elapsedNanos() / 1e9,
        r.rate());
  }

  /** The verdict in one line. */
  public static String verdictLine(Verdict v) {
    if (!v.allowed()) {
      return "NOT ALLOWED at " + time(v.at()) + ": no grant covered that instant";
    }
    GrantInterval i = v.interval();
    StringBuilder b =
        new StringBuilder("ALLOWED at ")
            .append(time(v.at()))
            .append(": grant of ")
            .append(i.key())
            .append(" from ")
            .append(time(i.from()))
            .append(" until ")
            .append(time(i.until()));
    Contribution c = v.login();
    if (c != null) {
      b.append(", by login ")
          .append(c.eventId())
          .append(" of ")
          .append(c.username())
          .append(" (")
          .append(c.protocol())
          .append(" on ")
          .append(c.serverId())
          .append(" from ")
          .append(c.clientIp())
          .append(" at ")
          .append(time(c.eventTime()))
          .append(')');
    }
    return b.toString();
  }

  static String time(long millis) {
    return GrantJson.instant(Instant.ofEpochMilli(millis));
  }

  static String ending(GrantInterval i) {
    return i.ending().name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  static String users(GrantInterval i) {
    return String.join(";", i.users().stream().sorted().toList());
  }

  static final Comparator<GrantInterval> BY_TIME =
      Comparator.comparingLong(GrantInterval::from).thenComparing(GrantInterval::key);

  /** Formats that need everything before they write (sorted output, one document). */
  abstract static class Collecting extends AuditOutput {
    final List<GrantInterval> intervals = new ArrayList<>();
    final List<Refused> refusals = new ArrayList<>();

    Collecting(PrintWriter out, GrantPolicy policy) {
      super(out, policy);
    }

    @Override
    public void interval(GrantInterval interval) {
      intervals.add(interval);
    }

    @Override
    public void refusal(Refused refused) {
      refusals.add(refused);
    }
  }

  /** Collects, then prints aligned tables. */
  static final class Table extends Collecting {
    Table(PrintWriter out, GrantPolicy policy) {
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
        for (Refused r : refusals) {
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

  static ObjectNode json(GrantInterval i) {
    ObjectMapper m = GrantJson.mapper();
    ObjectNode n =
        m.createObjectNode()
            .put("type", "grant")
            .put("key", i.key())
            .put("from", time(i.from()))
            .put("until", time(i.until()))
            .put("ending", ending(i))
            .put("endedBy", i.endedBy())
            .put("grantedAt", time(i.grantedAt()))
            .put("mayStartBeforeReplay", i.startsBeforeReplay())
            .put("eventCount", i.eventCount());
    ArrayNode users = n.putArray("users");
    i.users().stream().sorted().forEach(users::add);
    ArrayNode events = n.putArray("events");
    for (Contribution c : i.events()) {
      ObjectNode e =
          events
              .addObject()
              .put("eventId", c.eventId())
              .put("username", c.username())
              .put("clientIp", c.clientIp())
              .put("protocol", c.protocol().name())
              .put("server", c.serverId())
              .put("eventTime", time(c.eventTime()))
              .put("arrival", time(c.arrival()));
      if (c.revokedAt() != null) {
        e.put("revokedAt", time(c.revokedAt()));
      }
    }
    n.put("eventsOmitted", i.eventsOmitted());
    return n;
  }

  static ObjectNode json(Refused r) {
    LoginEvent e = r.event();
    return GrantJson.mapper()
        .createObjectNode()
        .put("type", "refusal")
        .put("key", r.key())
        .put("reason", r.reason())
        .put("detail", r.detail())
        .put("eventId", e.getEventId())
        .put("username", e.getUsername())
        .put("clientIp", e.getClientIp())
        .put("protocol", e.getProtocol() == null ? null : e.getProtocol().name())
        .put("server", e.getServerId())
        .put("outcome", e.getOutcome() == null ? null : e.getOutcome().name())
        .put("eventTime", e.getEventTime() == null ? null : time(e.getEventTime().toEpochMilli()))
        .put("arrival", time(r.arrival()));
  }

  static ObjectNode jsonRules(GrantPolicy p) {
    return GrantJson.mapper()
        .createObjectNode()
        .put("type", "rules")
        .put("ttl", Durations.format(p.ttl()))
        .put("maxFutureSkew", Durations.format(p.maxFutureSkew()))
        .put("ipv4PrefixLength", p.keys().ipv4PrefixLength())
        .put("ipv6PrefixLength", p.keys().ipv6PrefixLength())
        .put("neverGrant", p.neverGrant().isEmpty() ? "" : p.neverGrant().toString())
        .put("maxUsersPerKey", p.maxUsersPerKey());
  }

  static ObjectNode jsonSummary(Audit.Report r) {
    HistoryReader.Summary s = r.read();
    ObjectNode n =
        GrantJson.mapper()
            .createObjectNode()
            .put("type", "summary")
            .put("from", time(r.from()))
            .put("to", r.to() == Long.MAX_VALUE ? null : time(r.to()))
            .put("readFrom", time(r.readFrom()))
            .put("partitionsRead", s.partitionsRead())
            .put("partitions", s.partitions())
            .put("logins", s.loginRecords())
            .put("revocations", s.revocationRecords())
            .put("undecodable", s.undecodableCount())
            .put("seconds", r.elapsedNanos() / 1e9)
            .put("recordsPerSecond", Math.round(r.rate()));
    ArrayNode bad = n.putArray("undecodableRecords");
    for (HistoryReader.Undecodable u : s.undecodable()) {
      bad.addObject()
          .put("topic", u.topic())
          .put("partition", u.partition())
          .put("offset", u.offset())
          .put("reason", u.reason());
    }
    return n;
  }

  static JsonNode jsonVerdict(Verdict v) {
    ObjectNode n =
        GrantJson.mapper()
            .createObjectNode()
            .put("type", "verdict")
            .put("at", time(v.at()))
            .put("allowed", v.allowed());
    if (v.interval() != null) {
      n.put("key", v.interval().key())
          .put("from", time(v.interval().from()))
          .put("until", time(v.interval().until()));
    }
    if (v.login() != null) {
      n.put("eventId", v.login().eventId())
          .put("username", v.login().username())
          .put("protocol", v.login().protocol().name())
          .put("server", v.login().serverId())
          .put("clientIp", v.login().clientIp())
          .put("eventTime", time(v.login().eventTime()));
    }
    return n;
  }

  /** One JSON document: rules, summary, verdict, grants, refusals. */
  static final class Json extends Collecting {
    Json(PrintWriter out, GrantPolicy policy) {
      super(out, policy);
    }

    @Override
    public void end(Audit.Report report, Verdict verdict) {
      ObjectNode doc = GrantJson.mapper().createObjectNode();
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
        out.println(GrantJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(doc));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
      out.flush();
    }
  }

  /** One JSON object per line, streamed: rules first, then grants and refusals, summary last. */
  static final class JsonLines extends AuditOutput {
    JsonLines(PrintWriter out, GrantPolicy policy) {
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
    public void refusal(Refused refused) {
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

  /**
   * CSV (RFC 4180), streamed: a header, a {@code rules} row, one row per grant (with its latest
   * login) and per refusal.
   */
  static final class Csv extends AuditOutput {
    Csv(PrintWriter out, GrantPolicy policy) {
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
    public void refusal(Refused r) {
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
}
