package org.popbeforesmtp.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Every fixture line (src/test/resources/logs/fixtures.txt) gives exactly what it says. */
class LoginLogParserTest {
  private static final Clock NOW =
      Clock.fixed(Instant.parse("2026-11-26T13:00:00Z"), ZoneOffset.UTC);

  @Test
  void shouldParseEveryFixtureAsExpectedInOrder() throws IOException {
    LoginLogParser parser = new LoginLogParser(ZoneOffset.UTC, NOW);
    String fixtures;
    try (InputStream in = getClass().getResourceAsStream("/logs/fixtures.txt")) {
      fixtures = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    int checked = 0;
    for (String row : fixtures.split("\n")) {
      if (row.startsWith("#") || row.isBlank()) {
        continue;
      }
      int bar = row.indexOf(" |");
      String expected = row.substring(0, bar);
      String line = row.substring(Math.min(row.length(), bar + 3));
      Optional<LoginLogParser.ParsedLogin> parsed = parser.parse(line);
      if (expected.equals("none")) {
        assertThat(parsed).as(line).isEmpty();
      } else {
        assertThat(parsed).as(line).isPresent();
        LoginLogParser.ParsedLogin p = parsed.get();
        assertThat(
                p.username()
                    + " "
                    + p.clientIp()
                    + " "
                    + p.protocol()
                    + " "
                    + p.kind()
                    + " "
                    + p.outcome())
            .as(line)
            .isEqualTo(expected);
      }
      checked++;
    }
    assertThat(checked).isGreaterThan(20);
  }

  @Test
  void shouldReadTimestampsInTheirOwnFormsAndZones() {
    LoginLogParser berlin = new LoginLogParser(ZoneId.of("Europe/Berlin"), NOW);
    String login =
        "pop3-login: Login: user=<a>, method=PLAIN, rip=192.0.2.1, lip=192.0.2.2, session=<s>";
    assertThat(berlin.parse("2026-11-26 12:17:56 " + login).orElseThrow().time())
        .isEqualTo(Instant.parse("2026-11-26T11:17:56Z"));
    assertThat(berlin.parse("Nov 26 12:17:56 host dovecot: " + login).orElseThrow().time())
        .isEqualTo(Instant.parse("2026-11-26T11:17:56Z"));
    assertThat(
            berlin.parse("2026-11-26T12:17:56.5-05:00 host dovecot: " + login).orElseThrow().time())
        .isEqualTo(Instant.parse("2026-11-26T17:17:56.5Z"));
  }

  @Test
  void shouldPutAYearlessDateThatWouldBeInTheFutureIntoLastYear() {
    LoginLogParser parser =
        new LoginLogParser(
            ZoneOffset.UTC, Clock.fixed(Instant.parse("2027-01-01T00:05:00Z"), ZoneOffset.UTC));
    String line =
        "Dec 31 23:59:58 host dovecot: pop3-login: Login: user=<a>, method=PLAIN, rip=192.0.2.1, lip=192.0.2.2";
    assertThat(parser.parse(line).orElseThrow().time())
        .isEqualTo(Instant.parse("2026-12-31T23:59:58Z"));
    assertThat(parser.parse(line.replace("Dec 31", "Jan  1")).orElseThrow().time())
        .isEqualTo(Instant.parse("2027-01-01T23:59:58Z"));
  }
}
