package org.popbeforesmtp.ingest;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.Month;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.popbeforesmtp.avro.LoginKind;
import org.popbeforesmtp.avro.Outcome;
import org.popbeforesmtp.avro.Protocol;
import org.popbeforesmtp.net.InvalidAddressException;
import org.popbeforesmtp.net.IpAddress;

/**
 * Turns POP3/IMAP server log lines into logins: Dovecot (its own log and syslog), Courier, Cyrus,
 * UW ipop3d/imapd and qpopper. Timestamps: Dovecot's {@code YYYY-MM-DD HH:MM:SS}, RFC 3339, and BSD
 * syslog's {@code Mmm dd HH:MM:SS} (no year: the latest year that does not put the line more than a
 * day into the future), local ones in a configured zone. Lines of other daemons, and lines it
 * cannot read, give nothing (the caller counts them). Not thread-safe: it remembers Dovecot
 * sessions (a bounded map) to give a LOGOUT line, which lacks the address, its client address.
 */
public final class LoginLogParser {
  private static final int MAX_SESSIONS = 100_000;

  /** One login, logout or failure read from a line. */
  public record ParsedLogin(
      Instant time,
      String username,
      String clientIp,
      Protocol protocol,
      LoginKind kind,
      Outcome outcome,
      String sessionId) {}

  private static final Pattern DOVECOT_TIME =
      Pattern.compile("^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d)\\s+(.*)$");
  private static final Pattern RFC3339 =
      Pattern.compile(
          "^(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?(?:Z|[+-]\\d\\d:\\d\\d))\\s+\\S+\\s+(.*)$");
  private static final Pattern SYSLOG =
      Pattern.compile("^([A-Z][a-z]{2})\\s+(\\d{1,2}) (\\d\\d):(\\d\\d):(\\d\\d)\\s+\\S+\\s+(.*)$");

  private static final Pattern DOVECOT_LOGIN =
      Pattern.compile(
          "\\b(pop3|imap|submission)-login: (?:Info: )?Login: user=<([^>]*)>, method=[^,]+, rip=([^,]+),.*?(?:session=<([^>]+)>|$)");
  private static final Pattern DOVECOT_FAILED =
      Pattern.compile(
          "\\b(pop3|imap|submission)-login: (?:Info: )?(?:Disconnected|Aborted login)[^(]*\\(auth failed,[^)]*\\): user=<([^>]*)>, method=[^,]+, rip=([^,]+),.*?(?:session=<([^>]+)>|$)");
  private static final Pattern DOVECOT_LOGOUT =
      Pattern.compile(
          "\\b(pop3|imap)\\(([^)]+)\\)(?:<\\d+>)?<([^>]+)>: (?:Info: )?Disconnected: (?:Logged out|Connection closed)");
  private static final Pattern COURIER =
      Pattern.compile(
          "\\b(courierpop3login|pop3d|pop3d-ssl|courierimaplogin|imapd|imapd-ssl)(?:\\[\\d+\\])?: (LOGIN FAILED|LOGIN|LOGOUT), user=([^,]+), ip=\\[([^\\]]+)\\]");
  private static final Pattern CYRUS_LOGIN =
      Pattern.compile("\\b(pop3|imap)s?\\[\\d+\\]: login: \\S+ \\[([^\\]]+)\\] (\\S+) \\S+");
  private static final Pattern CYRUS_BAD =
      Pattern.compile("\\b(pop3|imap)s?\\[\\d+\\]: badlogin: \\S+ \\[([^\\]]+)\\] \\S+ (\\S+)");
  private static final Pattern UW =
      Pattern.compile(
          "\\b(ipop3d|imapd)\\[\\d+\\]: (Login failed|Login|Authenticated|Logout) user=(\\S+) .*?host=.*?\\[([^\\]]+)\\]");
  private static final Pattern QPOPPER_LOGIN =
      Pattern.compile(
          "\\bpopper\\[\\d+\\]: .*?POP login by user \"([^\"]+)\" at \\([^)]*\\) (\\S+)");
  private static final Pattern QPOPPER_BAD =
      Pattern.compile(
          "\\bpopper\\[\\d+\\]: \\S+ at \\S+ \\(([^)]+)\\): -ERR \\[AUTH\\] Password supplied for \"([^\"]+)\" is incorrect");

  /**
   * A format whose every line is a login with one outcome: the user, the address and the session
   * (0: none) by group number; the protocol is group 1 unless the format has only one.
   */
  private record Logins(
      Pattern pattern, int user, int ip, Protocol protocol, Outcome outcome, int session) {}

  /** The login formats that need nothing but their groups (the others are matched first). */
  private static final List<Logins> LOGINS =
      List.of(
          new Logins(DOVECOT_FAILED, 2, 3, null, Outcome.FAILURE, 4),
          new Logins(CYRUS_LOGIN, 3, 2, null, Outcome.SUCCESS, 0),
          new Logins(CYRUS_BAD, 3, 2, null, Outcome.FAILURE, 0),
          new Logins(QPOPPER_LOGIN, 1, 2, Protocol.POP3, Outcome.SUCCESS, 0),
          new Logins(QPOPPER_BAD, 2, 1, Protocol.POP3, Outcome.FAILURE, 0));

  private final ZoneId zone;
  private final Clock clock;
  private final Map<String, String[]> sessions =
      new LinkedHashMap<>(1024, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String[]> eldest) {
          return size() > MAX_SESSIONS;
        }
      };

  /**
   * @param zone zone of timestamps without an offset (Dovecot's own and BSD syslog)
   * @param clock for inferring the year of syslog timestamps
   */
  public LoginLogParser(ZoneId zone, Clock clock) {
    this.zone = zone;
    this.clock = clock;
  }

  /** The login in {@code line}, or empty for anything else. */
  public Optional<ParsedLogin> parse(String line) {
    Instant time;
    String message;
    Matcher m;
    try {
      if ((m = DOVECOT_TIME.matcher(line)).matches()) {
        time = LocalDateTime.parse(m.group(1).replace(' ', 'T')).atZone(zone).toInstant();
        message = m.group(2);
      } else if ((m = RFC3339.matcher(line)).matches()) {
        time = OffsetDateTime.parse(m.group(1)).toInstant();
        message = m.group(2);
      } else if ((m = SYSLOG.matcher(line)).matches()) {
        time = syslogTime(m);
        message = m.group(6);
      } else {
        return Optional.empty();
      }
    } catch (DateTimeParseException | IllegalArgumentException e) {
      return Optional.empty();
    }
    return match(time, message);
  }

  private Instant syslogTime(Matcher m) {
    Month month = Month.valueOf(monthName(m.group(1)));
    int day = Integer.parseInt(m.group(2));
    Instant now = clock.instant();
    int year = now.atZone(zone).getYear();
    LocalDateTime local =
        LocalDateTime.of(
            year,
            month,
            day,
            Integer.parseInt(m.group(3)),
            Integer.parseInt(m.group(4)),
            Integer.parseInt(m.group(5)));
    Instant t = local.atZone(zone).toInstant();
    // no year in the line: a date more than a day ahead belongs to last year (e.g. Dec 31 read on
    // Jan 1)
    if (t.isAfter(now.plusSeconds(86_400))) {
      t = local.minusYears(1).atZone(zone).toInstant();
    }
    return t;
  }

  private static String monthName(String abbreviation) {
    for (Month month : Month.values()) {
      if (month.name().substring(0, 3).equalsIgnoreCase(abbreviation)) {
        return month.name();
      }
    }
    throw new IllegalArgumentException("month " + abbreviation);
  }

  private Optional<ParsedLogin> match(Instant time, String message) {
    Matcher m;
    if ((m = DOVECOT_LOGIN.matcher(message)).find()) {
      Protocol p = protocol(m.group(1));
      String ip = address(m.group(3));
      if (ip != null && m.group(4) != null) {
        sessions.put(m.group(4), new String[] {ip, m.group(2)});
      }
      return login(time, m.group(2), ip, p, LoginKind.LOGIN, Outcome.SUCCESS, m.group(4));
    }
    if ((m = DOVECOT_LOGOUT.matcher(message)).find()) {
      String[] session = sessions.remove(m.group(3));
      if (session == null || !session[1].equals(m.group(2))) {
        return Optional.empty();
      }
      return login(
          time,
          m.group(2),
          session[0],
          protocol(m.group(1)),
          LoginKind.LOGOUT,
          Outcome.SUCCESS,
          m.group(3));
    }
    if ((m = COURIER.matcher(message)).find()) {
      Protocol p = m.group(1).contains("pop3") ? Protocol.POP3 : Protocol.IMAP;
      String what = m.group(2);
      return login(
          time,
          m.group(3),
          address(m.group(4)),
          p,
          what.equals("LOGOUT") ? LoginKind.LOGOUT : LoginKind.LOGIN,
          what.equals("LOGIN FAILED") ? Outcome.FAILURE : Outcome.SUCCESS,
          null);
    }
    if ((m = UW.matcher(message)).find()) {
      Protocol p = m.group(1).equals("ipop3d") ? Protocol.POP3 : Protocol.IMAP;
      String what = m.group(2);
      return login(
          time,
          m.group(3),
          address(m.group(4)),
          p,
          what.equals("Logout") ? LoginKind.LOGOUT : LoginKind.LOGIN,
          what.equals("Login failed") ? Outcome.FAILURE : Outcome.SUCCESS,
          null);
    }
    for (Logins format : LOGINS) {
      if ((m = format.pattern().matcher(message)).find()) {
        return login(
            time,
            m.group(format.user()),
            address(m.group(format.ip())),
            format.protocol() != null ? format.protocol() : protocol(m.group(1)),
            LoginKind.LOGIN,
            format.outcome(),
            format.session() == 0 ? null : m.group(format.session()));
      }
    }
    return Optional.empty();
  }

  private static Optional<ParsedLogin> login(
      Instant time,
      String user,
      String ip,
      Protocol p,
      LoginKind kind,
      Outcome outcome,
      String session) {
    if (ip == null || user == null || user.isBlank()) {
      return Optional.empty();
    }
    return Optional.of(new ParsedLogin(time, user, ip, p, kind, outcome, session));
  }

  private static String address(String text) {
    try {
      return IpAddress.parse(text.strip()).toString();
    } catch (InvalidAddressException e) {
      return null;
    }
  }

  private static Protocol protocol(String name) {
    return DovecotPolicyEndpoint.protocol(name);
  }
}
