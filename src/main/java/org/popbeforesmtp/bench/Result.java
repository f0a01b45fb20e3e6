package org.popbeforesmtp.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import org.popbeforesmtp.text.Json;

/** One scenario's figures: a table for people and JSON for tools. */
final class Result {
  final String scenario;
  final List<String> header;
  final List<List<String>> rows = new ArrayList<>();
  final List<String> notes = new ArrayList<>();
  final ObjectNode json = Json.mapper().createObjectNode();

  Result(String scenario, String... header) {
    this.scenario = scenario;
    this.header = List.of(header);
    json.put("scenario", scenario);
    json.putArray("rows");
  }

  /** Adds a table row; its cells also go to the JSON under the header's names. */
  void row(String... cells) {
    rows.add(List.of(cells));
    ObjectNode n = ((ArrayNode) json.get("rows")).addObject();
    for (int i = 0; i < cells.length; i++) {
      n.put(header.get(i), cells[i]);
    }
  }

  /** Adds a numeric figure to the last row's JSON. */
  void figure(String name, double value) {
    ArrayNode a = (ArrayNode) json.get("rows");
    ((ObjectNode) a.get(a.size() - 1)).put(name, value);
  }

  void note(String text) {
    notes.add(text);
    json.withArray("notes").add(text);
  }

  void print(PrintWriter out) {
    out.println();
    out.println("## " + scenario);
    out.println();
    int[] width = new int[header.size()];
    for (int c = 0; c < header.size(); c++) {
      width[c] = header.get(c).length();
      for (List<String> r : rows) {
        width[c] = Math.max(width[c], r.get(c).length());
      }
    }
    line(out, header, width);
    StringBuilder sep = new StringBuilder("|");
    for (int w : width) {
      sep.append("-".repeat(w + 2)).append('|');
    }
    out.println(sep);
    for (List<String> r : rows) {
      line(out, r, width);
    }
    for (String n : notes) {
      out.println();
      out.println(n);
    }
    out.flush();
  }

  private static void line(PrintWriter out, List<String> cells, int[] width) {
    StringBuilder b = new StringBuilder("|");
    for (int c = 0; c < cells.size(); c++) {
      b.append(' ').append(cells.get(c)).append(" ".repeat(width[c] - cells.get(c).length() + 1));
      b.append('|');
    }
    out.println(b);
  }
}
