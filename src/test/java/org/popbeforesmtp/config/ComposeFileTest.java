package org.popbeforesmtp.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.popbeforesmtp.text.Setting;

/**
 * docker-compose.yml sets the project's services through PBS_* variables: every one must be a
 * setting the service's command reads, or a PBS_KAFKA_* pass-through, so the file cannot drift from
 * the code. (`.ci/run` validates the file's syntax with docker-compose itself.)
 */
class ComposeFileTest {
  private static final Map<String, Set<String>> SETTINGS =
      Map.of(
          "processor", ProcessorConfig.SETTINGS,
          "topics", ProcessorConfig.SETTINGS,
          "edge", EdgeConfig.SETTINGS,
          "ingest", IngestConfig.SETTINGS);

  @Test
  void everyServiceVariableIsASettingOfItsCommand() throws Exception {
    JsonNode compose =
        new ObjectMapper(new YAMLFactory()).readTree(Path.of("docker-compose.yml").toFile());
    int checked = 0;
    Map<String, Integer> commands = new HashMap<>();
    for (Map.Entry<String, JsonNode> service : compose.get("services").properties()) {
      JsonNode command = service.getValue().get("command");
      if (command == null || !SETTINGS.containsKey(command.get(0).asText())) {
        continue;
      }
      String name = command.get(0).asText();
      commands.merge(name, 1, Integer::sum);
      Map<String, String> env = environment(service.getValue().get("environment"));
      assertThat(env).as(service.getKey()).containsKey("PBS_BOOTSTRAP_SERVERS");
      if (!name.equals("topics")) {
        assertThat(env).as(service.getKey()).containsKey("PBS_SCHEMA_REGISTRY_URL");
      }
      for (String variable : env.keySet()) {
        boolean known =
            variable.startsWith("PBS_KAFKA_")
                || SETTINGS.get(name).stream().anyMatch(s -> Setting.envName(s).equals(variable));
        assertThat(known)
            .as("%s: %s is not a setting of '%s'", service.getKey(), variable, name)
            .isTrue();
        checked++;
      }
    }
    assertThat(commands)
        .containsEntry("topics", 1)
        .containsEntry("processor", 2)
        .containsEntry("edge", 1)
        .containsEntry("ingest", 1);
    assertThat(checked).isGreaterThan(20);
  }

  private static Map<String, String> environment(JsonNode node) {
    Map<String, String> env = new HashMap<>();
    if (node != null) {
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        env.put(e.getKey(), e.getValue().asText());
      }
    }
    return env;
  }
}
