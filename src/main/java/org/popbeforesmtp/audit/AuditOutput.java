package org.popbeforesmtp.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.Comparator;
import java.util.Locale;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.grants.GrantPolicy;
import org.popbeforesmtp.text.Durations;
import org.popbeforesmtp.text.Json;

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
      case TABLE -> new TableOutput(out, policy);
      case JSON -> new JsonOutput(out, policy);
      case JSONL -> new JsonLinesOutput(out, policy);
      case CSV -> new CsvOutput(out, policy);
    };
  }

  /** Called once before the replay. */
  public void begin() {}

  public abstract void interval(GrantInterval interval);

  public abstract void refusal(RefusedLogin refused);

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
    return Json.instant(Instant.ofEpochMilli(millis));
  }

  static String ending(GrantInterval i) {
    return i.ending().name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  static String users(GrantInterval i) {
    if (i.users().size() == 1) {
      return i.users().iterator().next();
    }
    return String.join(";", i.users().stream().sorted().toList());
  }

  static final Comparator<GrantInterval> BY_TIME =
      Comparator.comparingLong(GrantInterval::from).thenComparing(GrantInterval::key);

  static ObjectNode json(GrantInterval i) {
    ObjectMapper m = Json.mapper();
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

  static ObjectNode json(RefusedLogin r) {
    LoginEvent e = r.event();
    return Json.mapper()
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
    return Json.mapper()
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
        Json.mapper()
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
        Json.mapper()
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
}
