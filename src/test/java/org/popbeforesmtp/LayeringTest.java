package org.popbeforesmtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packages' layering, lowest first: a package may use its own classes, those of any lower
 * layer, and the generated Avro classes; nothing of its own layer or above. The README's layout
 * table describes the same order. Every reference counts: imports, qualified names in code and in
 * Javadoc links.
 */
class LayeringTest {
  /** Lowest first; packages in one layer do not use each other. "" is the root package (Main). */
  static final List<List<String>> LAYERS =
      List.of(
          List.of("text"),
          List.of("net"),
          List.of("registry"),
          List.of("grants"),
          List.of("query", "edge", "ingest", "audit"),
          List.of("config"),
          List.of("runtime"),
          List.of("bench"),
          List.of("cli"),
          List.of(""));

  private static final String ROOT = "org.popbeforesmtp";
  private static final Pattern REFERENCE =
      Pattern.compile("\\borg\\.popbeforesmtp\\.([a-z]\\w*)\\.[A-Za-z]");

  @Test
  void everyPackageUsesOnlyLowerLayers() throws IOException {
    Path sources = Path.of("src/main/java/org/popbeforesmtp");
    assertThat(sources).isDirectory();
    assertThat(wrongArrows(sources)).isEmpty();
  }

  /** "file: package -> package (layer names)" for every reference that points up or sideways. */
  static List<String> wrongArrows(Path sources) throws IOException {
    Map<String, Integer> layerOf = new TreeMap<>();
    for (int i = 0; i < LAYERS.size(); i++) {
      for (String p : LAYERS.get(i)) {
        layerOf.put(p, i);
      }
    }
    List<String> wrong = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(sources)) {
      files = walk.filter(f -> f.toString().endsWith(".java")).sorted().toList();
    }
    for (Path file : files) {
      String from = packageOf(sources.relativize(file));
      Integer level = layerOf.get(from);
      if (level == null) {
        wrong.add(file + ": package '" + from + "' has no layer: add it to LayeringTest.LAYERS");
        continue;
      }
      TreeSet<String> used = new TreeSet<>();
      for (String line : Files.readAllLines(file)) {
        if (line.startsWith("package ")) {
          continue;
        }
        Matcher m = REFERENCE.matcher(line);
        while (m.find()) {
          used.add(m.group(1));
        }
      }
      for (String to : used) {
        if (to.equals(from) || to.equals("avro")) {
          continue;
        }
        Integer target = layerOf.get(to);
        if (target == null || target >= level) {
          wrong.add(
              sources.relativize(file)
                  + ": "
                  + name(from)
                  + " -> "
                  + name(to)
                  + (target == null
                      ? " (no such layer)"
                      : target.equals(level)
                          ? " (same layer: siblings do not use each other)"
                          : " (points up: " + name(to) + " is above " + name(from) + ")"));
        }
      }
    }
    return wrong;
  }

  private static String packageOf(Path relative) {
    return relative.getNameCount() == 1 ? "" : relative.getName(0).toString();
  }

  private static String name(String pkg) {
    return pkg.isEmpty() ? ROOT : ROOT + "." + pkg;
  }

  @Test
  void aWrongArrowIsReported(@TempDir Path dir) throws IOException {
    Path grants = Files.createDirectories(dir.resolve("grants"));
    Files.writeString(
        grants.resolve("Rules.java"),
        "package org.popbeforesmtp.grants;\n\nimport org.popbeforesmtp.runtime.ProcessorApp;\n");
    Path edge = Files.createDirectories(dir.resolve("edge"));
    Files.writeString(
        edge.resolve("Cache.java"),
        "package org.popbeforesmtp.edge;\n\n/** {@link org.popbeforesmtp.audit.Audit} */\n");
    Files.writeString(
        edge.resolve("Table.java"),
        "package org.popbeforesmtp.edge;\n\nimport org.popbeforesmtp.net.IpAddress;\n");
    assertThat(wrongArrows(dir))
        .containsExactly(
            "edge/Cache.java: org.popbeforesmtp.edge -> org.popbeforesmtp.audit (same layer:"
                + " siblings do not use each other)",
            "grants/Rules.java: org.popbeforesmtp.grants -> org.popbeforesmtp.runtime (points up:"
                + " org.popbeforesmtp.runtime is above org.popbeforesmtp.grants)");
  }
}
