package org.popbeforesmtp.config;

import java.util.Map;
import java.util.Properties;
import org.popbeforesmtp.registry.SerdeConfig;

/** What every command's settings say about reaching Kafka and the schema registry. */
public interface ClusterClient {
  String bootstrapServers();

  SerdeConfig registry();

  /** The pass-through Kafka client settings ({@code kafka.*} without the prefix). */
  Map<String, String> kafka();

  /** A Kafka client's properties: the pass-through settings and the brokers. */
  default Properties clientProperties() {
    return ConfigSources.clientProperties(bootstrapServers(), kafka());
  }
}
