package org.popbeforesmtp.cli;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.popbeforesmtp.ingest.LoginPublisher;
import org.popbeforesmtp.registry.SerdeConfig;
import picocli.CommandLine.Option;

/** Where the login-producing commands ({@code publish}, {@code tail}, {@code import}) write. */
final class ProducerOptions {
  @Option(names = "--bootstrap-servers", required = true, description = "Kafka brokers.")
  String bootstrapServers;

  @Option(names = "--schema-registry-url", required = true, description = "Schema registry.")
  String registryUrl;

  @Option(
      names = "--topic",
      defaultValue = "mail.logins",
      description = "Default: ${DEFAULT-VALUE}.")
  String topic;

  @Option(names = "--kafka", description = "Kafka producer setting, key=value (repeatable).")
  Map<String, String> kafka = new LinkedHashMap<>();

  /** A publisher on these options. */
  LoginPublisher publisher(
      int queueCapacity, Duration maxUnavailable, LoginPublisher.RecordTime recordTime) {
    Properties props = new Properties();
    props.putAll(kafka);
    props.put("bootstrap.servers", bootstrapServers);
    return new LoginPublisher(
        props,
        topic,
        SerdeConfig.of(registryUrl).newClient(),
        queueCapacity,
        maxUnavailable,
        recordTime);
  }
}
