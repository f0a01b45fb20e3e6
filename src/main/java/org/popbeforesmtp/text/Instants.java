package org.popbeforesmtp.text;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/**
 * Parses instants as operators type them: ISO-8601 ({@code 2026-11-26T03:12:00Z}, with an offset,
 * or without one meaning UTC; a bare date is its midnight UTC), relative to now ({@code -2h},
 * {@code -30m}, {@code +5m}, see {@link Durations}), or {@code now}.
 */
public final class Instants {
  private Instants() {}

  /**
   * @param what the option's name, for the error message
   * @throws IllegalArgumentException naming the option and the bad value
   */
  public static Instant parse(String what, String text, Instant now) {
    String s = text == null ? "" : text.strip();
    if (s.equalsIgnoreCase("now")) {
      return now;
    }
    if (s.startsWith("-") || s.startsWith("+")) {
      Duration d = Durations.parse(what, s.substring(1));
      return s.startsWith("-") ? now.minus(d) : now.plus(d);
    }
    try {
      return OffsetDateTime.parse(s).toInstant();
    } catch (DateTimeParseException e) {
      // try the forms without an offset
    }
    try {
      return LocalDateTime.parse(s).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      // try a date
    }
    try {
      return LocalDate.parse(s).atStartOfDay().toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          what
              + " '"
              + text
              + "' is not an instant: use ISO-8601 (2026-11-26T03:12:00Z, 2026-11-26T04:12:00+01:00,"
              + " 2026-11-26 = midnight UTC) or relative to now (-2h, -30m, now)");
    }
  }
}
