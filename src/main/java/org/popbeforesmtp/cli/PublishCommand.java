package org.popbeforesmtp.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.LoginKind;
import org.popbeforesmtp.avro.Outcome;
import org.popbeforesmtp.avro.Protocol;
import org.popbeforesmtp.config.ShipperConfig;
import org.popbeforesmtp.grants.GrantPolicy;
import org.popbeforesmtp.ingest.LoginPublisher;
import org.popbeforesmtp.net.IpAddress;
import org.popbeforesmtp.text.Durations;
import org.popbeforesmtp.text.Instants;
import org.popbeforesmtp.text.Setting;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code publish}: one login event, for scripts and one-offs; waits for Kafka's ack. */
@Command(
    name = "publish",
    mixinStandardHelpOptions = true,
    modelTransformer = SettingFlags.Transformer.class,
    description = "Publishes one login event to mail.logins and waits for Kafka's acknowledgement.")
public final class PublishCommand extends SettingFlags.Flagged implements Callable<Integer> {
  @Override
  List<Setting> flagged() {
    return ShipperOptions.PUBLISH;
  }

  @Spec CommandSpec spec;

  @Mixin ClusterOptions cluster = new ClusterOptions();

  /** The process environment (a test gives its own). */
  Map<String, String> env = System.getenv();

  ShipperConfig config() {
    return ShipperOptions.config(cluster, ShipperOptions.PUBLISH, env, flags);
  }

  @Option(names = "--user", required = true, description = "Username.")
  String user;

  @Option(names = "--ip", required = true, description = "Client address as the server saw it.")
  String ip;

  @Option(
      names = "--protocol",
      defaultValue = "POP3",
      description = "${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
  Protocol protocol;

  @Option(
      names = "--kind",
      defaultValue = "LOGIN",
      description = "${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
  LoginKind kind;

  @Option(
      names = "--outcome",
      defaultValue = "SUCCESS",
      description = "${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
  Outcome outcome;

  @Option(
      names = "--at",
      defaultValue = "now",
      description = "Event time: ISO-8601 instant or relative like -5m (default ${DEFAULT-VALUE}).")
  String at;

  @Option(names = "--event-id", description = "Event id (default: a random UUID).")
  String eventId;

  @Override
  public Integer call() throws Exception {
    IpAddress.parse(ip);
    ShipperConfig config = config();
    Instant now = Instant.now();
    Instant time = Instants.parse("--at", at, now);
    Duration skew = GrantPolicy.defaults().maxFutureSkew();
    if (time.isAfter(now.plus(skew))) {
      // the processor would dead-letter it: say so instead of reporting success
      throw new IllegalArgumentException(
          "--at "
              + time
              + " is "
              + Durations.format(Duration.between(now, time).truncatedTo(ChronoUnit.SECONDS))
              + " in the future (now "
              + now
              + "); the processor dead-letters events more than "
              + Durations.format(skew)
              + " ahead (max.future.skew): give an instant up to now");
    }
    LoginEvent event =
        LoginEvent.newBuilder()
            .setEventId(eventId == null ? UUID.randomUUID().toString() : eventId)
            .setEventTime(time)
            .setClientIp(ip)
            .setUsername(user)
            .setProtocol(protocol)
            .setKind(kind)
            .setOutcome(outcome)
            .setServerId(config.serverId())
            .setSource("cli")
            .setSessionId(null)
            .build();
    try (LoginPublisher publisher =
        new LoginPublisher(
            config.clientProperties(),
            config.loginsTopic(),
            config.registry().newClient(),
            1,
            Duration.ofSeconds(30),
            LoginPublisher.RecordTime.ARRIVAL)) {
      RecordMetadata m = publisher.publish(event);
      spec.commandLine()
          .getOut()
          .printf(
              "published %s %s %s of %s from %s at %s to %s-%d@%d%n",
              outcome,
              protocol,
              kind,
              user,
              LoginPublisher.keyOf(event),
              time,
              m.topic(),
              m.partition(),
              m.offset());
    }
    return 0;
  }
}
