package org.popbeforesmtp.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.popbeforesmtp.ingest.LoginLogParser;

/** The README's configuration reference names every setting the code reads, with its variable. */
class ReadmeReferenceTest {
  @Test
  void everySettingIsInTheReferenceAsDeclared() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    String reference =
        readme.substring(
            readme.indexOf("## Configuration reference"),
            readme.indexOf("\n## ", readme.indexOf("## Configuration reference") + 1));
    // each row is made from the setting's declaration: name, variable, flag, default, meaning
    Stream.of(
            ProcessorConfig.DECLARED,
            EdgeConfig.DECLARED,
            IngestConfig.DECLARED,
            ShipperConfig.DECLARED)
        .flatMap(List::stream)
        .forEach(setting -> assertThat(reference).as(setting.name()).contains(setting.readmeRow()));
  }

  @Test
  void everySampleLogLineOfTheTailAgentIsALogin() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    int from = readme.indexOf("Lines it reads, one per server and format");
    String block = readme.substring(from, readme.indexOf("\n(Dovecot's own log", from));
    LoginLogParser parser =
        new LoginLogParser(
            ZoneOffset.UTC, Clock.fixed(Instant.parse("2026-11-26T13:00:00Z"), ZoneOffset.UTC));
    List<String> lines =
        block.lines().filter(l -> l.startsWith("    ")).map(String::strip).toList();
    assertThat(lines).hasSize(7);
    for (String line : lines) {
      assertThat(parser.parse(line)).as(line).isPresent();
    }
  }
}
