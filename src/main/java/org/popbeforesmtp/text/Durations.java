package org.popbeforesmtp.text;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses operator-friendly durations: {@code 500ms}, {@code 10s}, {@code 30m}, {@code 2h}, {@code
 * 1d}, or ISO-8601 {@code PT30M}.
 */
public final class Durations {
  private static final Pattern SIMPLE = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

  private Durations() {}

  /**
   * @param what the setting's name, for the error message
   * @throws IllegalArgumentException naming the setting and the bad value
   */
  public static Duration parse(String what, String text) {
    String s = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
    Matcher m = SIMPLE.matcher(s);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    }
    if (s.matches("\\d+")) {
      throw new IllegalArgumentException(
          what + " '" + text + "' has no unit: write it as e.g. " + s + "s or " + s + "m");
    }
    try {
      return Duration.parse(text.strip());
    } catch (DateTimeParseException | NullPointerException e) {
      throw new IllegalArgumentException(
          what + " '" + text + "' is not a duration: use e.g. 500ms, 10s, 30m, 2h, 1d or PT30M");
    }
  }

  /** A short human form: {@code 30m}, {@code 1h30m}, {@code 500ms}, {@code 0s}. */
  public static String format(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    StringBuilder b = new StringBuilder();
    long days = d.toDays();
    if (days > 0) {
      b.append(days).append('d');
    }
    if (d.toHoursPart() > 0) {
      b.append(d.toHoursPart()).append('h');
    }
    if (d.toMinutesPart() > 0) {
      b.append(d.toMinutesPart()).append('m');
    }
    if (d.toSecondsPart() > 0) {
      b.append(d.toSecondsPart()).append('s');
    }
    if (d.toMillisPart() > 0) {
      b.append(d.toMillisPart()).append("ms");
    }
    return b.toString();
  }
}
