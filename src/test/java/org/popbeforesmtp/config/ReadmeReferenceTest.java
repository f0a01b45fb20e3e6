package org.popbeforesmtp.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The README's configuration reference names every setting the code reads, with its variable. */
class ReadmeReferenceTest {
  @Test
  void everySettingIsInTheReferenceWithItsVariable() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    String reference =
        readme.substring(
            readme.indexOf("## Configuration reference"),
            readme.indexOf("\n## ", readme.indexOf("## Configuration reference") + 1));
    Stream.of(ProcessorConfig.SETTINGS, EdgeConfig.SETTINGS, IngestConfig.SETTINGS)
        .flatMap(Set::stream)
        .forEach(
            name ->
                assertThat(reference)
                    .as(name)
                    .contains("| `" + name + "` | `" + ConfigSources.envName(name) + "` |"));
  }
}
