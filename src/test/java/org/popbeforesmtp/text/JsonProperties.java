package org.popbeforesmtp.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

/** Instants read in JSON and CSV exactly as the ISO pattern writes them, in every year. */
class JsonProperties {
  private static final DateTimeFormatter PATTERN =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  @Property(tries = 2_000)
  void shouldWriteAnInstantAsThePatternDoes(
      @ForAll @LongRange(min = -80_000_000_000_000L, max = 300_000_000_000_000L) long millis,
      @ForAll @LongRange(min = 0, max = 999_999) long nanos) {
    Instant instant = Instant.ofEpochMilli(millis).plusNanos(nanos);

    assertThat(Json.instant(instant)).isEqualTo(PATTERN.format(instant));
  }

  @Example
  void shouldWriteTheEdgesOfTheFourDigitYears() {
    for (String text :
        new String[] {
          "0001-01-01T00:00:00Z",
          "1970-01-01T00:00:00Z",
          "2026-12-31T23:59:59.999Z",
          "9999-12-31T23:59:59.999999999Z",
          "10000-01-01T00:00:00Z",
          "0000-12-31T23:59:59.999Z"
        }) {
      Instant instant = Instant.parse(text.startsWith("10000") ? "+" + text : text);
      assertThat(Json.instant(instant)).as(text).isEqualTo(PATTERN.format(instant));
    }
  }
}
