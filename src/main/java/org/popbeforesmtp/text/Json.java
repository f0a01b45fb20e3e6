package org.popbeforesmtp.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
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

  public static String instant(Instant instant) {
    return INSTANT.format(instant);
  }

  /** An error answer of the HTTP API: {@code {"error", "detail"}}. */
  public static ObjectNode error(String error, String detail) {
    return JSON.createObjectNode().put("error", error).put("detail", detail);
  }
}
