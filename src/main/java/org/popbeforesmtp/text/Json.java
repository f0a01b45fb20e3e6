package org.popbeforesmtp.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The one JSON mapper of the program (HTTP answers, audit output, bench results) and how instants
 * read in JSON: ISO-8601 UTC with milliseconds.
 */
public final class Json {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter INSTANT =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private Json() {}

  public static ObjectMapper mapper() {
    return JSON;
  }

  /** Years 1 to 9999 (four digits): written without the formatter, which costs a microsecond. */
  private static final long FAST_FROM = -62_135_596_800L; // 0001-01-01T00:00:00Z

  private static final long FAST_UNTIL = 253_402_300_800L; // 10000-01-01T00:00:00Z

  /** {@code yyyy-MM-ddTHH:mm:ss.SSSZ} in UTC (audit writes four per grant interval). */
  public static String instant(Instant instant) {
    long seconds = instant.getEpochSecond();
    if (seconds < FAST_FROM || seconds >= FAST_UNTIL) {
      return INSTANT.format(instant);
    }
    LocalDateTime t = LocalDateTime.ofEpochSecond(seconds, instant.getNano(), ZoneOffset.UTC);
    char[] c = "0000-00-00T00:00:00.000Z".toCharArray();
    digits(c, 0, 4, t.getYear());
    digits(c, 5, 2, t.getMonthValue());
    digits(c, 8, 2, t.getDayOfMonth());
    digits(c, 11, 2, t.getHour());
    digits(c, 14, 2, t.getMinute());
    digits(c, 17, 2, t.getSecond());
    digits(c, 20, 3, t.getNano() / 1_000_000);
    return new String(c);
  }

  /** Writes {@code value} as {@code width} digits ending at {@code at + width}. */
  private static void digits(char[] c, int at, int width, int value) {
    for (int i = at + width - 1; i >= at; i--) {
      c[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }

  /** An error answer of the HTTP API: {@code {"error", "detail"}}. */
  public static ObjectNode error(String error, String detail) {
    return JSON.createObjectNode().put("error", error).put("detail", detail);
  }
}
