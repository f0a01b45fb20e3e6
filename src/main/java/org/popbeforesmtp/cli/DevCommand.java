package org.popbeforesmtp.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.apache.kafka.streams.KafkaStreams;
import org.popbeforesmtp.config.ConfigSources;
import org.popbeforesmtp.config.EdgeConfig;
import org.popbeforesmtp.config.IngestConfig;
import org.popbeforesmtp.config.ProcessorConfig;
import org.popbeforesmtp.runtime.DevSchemaRegistry;
import org.popbeforesmtp.runtime.EdgeApp;
import org.popbeforesmtp.runtime.EmbeddedKafka;
import org.popbeforesmtp.runtime.IngestApp;
import org.popbeforesmtp.runtime.ProcessorApp;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code dev}: the whole system in one JVM on loopback, for trying it out: an embedded Kafka broker
 * (the real one), a development schema registry, the processor with its API, the edge and the
 * Dovecot ingest endpoint. Not for production.
 */
@Command(
    name = "dev",
    mixinStandardHelpOptions = true,
    description = {
      "Starts the whole stack in one JVM on 127.0.0.1 (embedded Kafka broker, dev schema registry,"
          + " processor, edge, ingest) and prints where each listens. Ctrl-C stops it. A"
          + " development convenience, not a deployment.",
      ""
    })
public final class DevCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--data-dir",
      defaultValue = "pop-before-smtp-dev",
      description = "Broker data, schemas and state (default ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--fresh", description = "Delete the data directory first.")
  boolean fresh;

  @Option(
      names = "--ttl",
      defaultValue = "30m",
      description = "Grant TTL (default ${DEFAULT-VALUE}).")
  String ttl;

  @Option(
      names = "--kafka-port",
      defaultValue = "9092",
      description = "Broker port (default ${DEFAULT-VALUE}; 0 = any).")
  int kafkaPort;

  @Option(
      names = "--schema-registry-port",
      defaultValue = "8085",
      description = "Dev registry port (default ${DEFAULT-VALUE}).")
  int registryPort;

  @Option(
      names = "--api-port",
      defaultValue = "8080",
      description = "Processor API port (default ${DEFAULT-VALUE}).")
  int apiPort;

  @Option(
      names = "--ingest-port",
      defaultValue = "8081",
      description = "Dovecot endpoint port (default ${DEFAULT-VALUE}).")
  int ingestPort;

  @Option(
      names = "--edge-port",
      defaultValue = "8082",
      description = "Edge HTTP port (default ${DEFAULT-VALUE}).")
  int edgePort;

  @Option(
      names = "--policy-port",
      defaultValue = "10040",
      description = "Postfix policy port (default ${DEFAULT-VALUE}).")
  int policyPort;

  @Option(
      names = "--socketmap-port",
      defaultValue = "10041",
      description = "Postfix socketmap port (default ${DEFAULT-VALUE}).")
  int socketmapPort;

  @Option(
      names = "--ipv6-prefix-length",
      defaultValue = "128",
      description = "IPv6 grant prefix (default ${DEFAULT-VALUE}).")
  int ipv6Prefix;

  @Option(
      names = "--never-grant",
      defaultValue = "",
      description = "CIDRs whose logins never grant.")
  String neverGrant;

  @Option(
      names = "--max-users-per-key",
      defaultValue = "0",
      description = "Shared-address cap (default off).")
  int maxUsers;

  @Option(
      names = "--max-future-skew",
      defaultValue = "2m",
      description = "Clock skew allowed (default ${DEFAULT-VALUE}).")
  String skew;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Path data = dataDir.toAbsolutePath();
    if (fresh && Files.exists(data)) {
      delete(data);
    }
    Files.createDirectories(data);
    Deque<AutoCloseable> started = new ArrayDeque<>();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  out.println("stopping...");
                  out.flush();
                  closeAll(started);
                  stopped.countDown();
                },
                "dev-shutdown"));
    try {
      out.println("starting the embedded Kafka broker (data in " + data + ")...");
      out.flush();
      EmbeddedKafka kafka = EmbeddedKafka.start(data.resolve("kafka"), kafkaPort, Map.of());
      started.push(kafka);
      DevSchemaRegistry registry =
          DevSchemaRegistry.start(data.resolve("registry"), "127.0.0.1", registryPort);
      started.push(registry);

      Map<String, String> p = new LinkedHashMap<>();
      p.put("bootstrap.servers", kafka.bootstrapServers());
      p.put("schema.registry.url", registry.url());
      p.put("state.dir", data.resolve("state").toString());
      p.put("application.id", "pop-before-smtp-dev");
      p.put("partitions", "3");
      p.put("http.host", "127.0.0.1");
      p.put("http.port", Integer.toString(apiPort));
      p.put("advertised.host", "127.0.0.1");
      p.put("ttl", ttl);
      p.put("max.future.skew", skew);
      p.put("ipv6.prefix.length", Integer.toString(ipv6Prefix));
      p.put("never.grant", neverGrant);
      p.put("max.users.per.key", Integer.toString(maxUsers));
      // one instance: no standbys; a short session so a restarted dev stack is not kept waiting
      // for its previous incarnation's member to time out (Streams does not leave on close)
      Map<String, String> kafkaSettings =
          Map.of(
              "num.standby.replicas", "0",
              "consumer.session.timeout.ms", "6000",
              "consumer.heartbeat.interval.ms", "2000");
      ProcessorApp processor =
          ProcessorApp.start(
              ProcessorConfig.from(
                  ConfigSources.load(
                      ProcessorConfig.SETTINGS,
                      ProcessorConfig.DEFAULTS,
                      null,
                      Map.of(),
                      p,
                      kafkaSettings)));
      started.push(processor);

      Map<String, String> e = new LinkedHashMap<>();
      e.put("bootstrap.servers", kafka.bootstrapServers());
      e.put("schema.registry.url", registry.url());
      e.put("policy.port", Integer.toString(policyPort));
      e.put("socketmap.port", Integer.toString(socketmapPort));
      e.put("http.port", Integer.toString(edgePort));
      EdgeApp edge =
          EdgeApp.start(
              EdgeConfig.from(
                  ConfigSources.load(
                      EdgeConfig.SETTINGS, EdgeConfig.DEFAULTS, null, Map.of(), e, Map.of())));
      started.push(edge);

      Map<String, String> i = new LinkedHashMap<>();
      i.put("bootstrap.servers", kafka.bootstrapServers());
      i.put("schema.registry.url", registry.url());
      i.put("http.port", Integer.toString(ingestPort));
      i.put("server.id", "dev");
      IngestApp ingest =
          IngestApp.start(
              IngestConfig.from(
                  ConfigSources.load(
                      IngestConfig.SETTINGS, IngestConfig.DEFAULTS, null, Map.of(), i, Map.of())));
      started.push(ingest);

      long deadline = System.nanoTime() + 120_000_000_000L;
      while (processor.streams().state() != KafkaStreams.State.RUNNING || !edge.cache().isReady()) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the stack did not become ready within 2 minutes");
        }
        Thread.sleep(100);
      }
      printTable(out, kafka, registry, processor, edge, ingest);
    } catch (Exception e) {
      closeAll(started);
      throw e;
    }
    stopped.await();
    return 0;
  }

  private void printTable(
      PrintWriter out,
      EmbeddedKafka kafka,
      DevSchemaRegistry registry,
      ProcessorApp processor,
      EdgeApp edge,
      IngestApp ingest) {
    String[][] rows = {
      {"Kafka broker (embedded)", kafka.bootstrapServers()},
      {"schema registry (dev only)", registry.url()},
      {"processor API", "http://127.0.0.1:" + processor.httpPort() + "/v1/grants/{ip}"},
      {"edge HTTP", "http://127.0.0.1:" + edge.httpPort() + "/v1/check/{ip}"},
      {"Postfix policy server", "127.0.0.1:" + edge.policyPort()},
      {"Postfix socketmap", "127.0.0.1:" + edge.socketmapPort()},
      {
        "Dovecot auth-policy endpoint",
        "http://127.0.0.1:" + ingest.httpPort() + "/v1/dovecot-policy"
      },
      {"data directory", dataDir.toAbsolutePath().toString()},
    };
    int width = 0;
    for (String[] row : rows) {
      width = Math.max(width, row[0].length());
    }
    out.println();
    out.println("pop-before-smtp dev stack is up (TTL " + ttl + "). Ctrl-C stops it.");
    out.println();
    for (String[] row : rows) {
      out.printf("  %-" + width + "s  %s%n", row[0], row[1]);
    }
    out.println();
    out.println("Postfix main.cf:");
    out.println(
        "  smtpd_relay_restrictions = permit_mynetworks, check_policy_service inet:127.0.0.1:"
            + edge.policyPort()
            + ", reject_unauth_destination");
    out.println(
        "  # or: check_client_access socketmap:inet:127.0.0.1:" + edge.socketmapPort() + ":grants");
    out.println();
    out.println("Dovecot:");
    out.println(
        "  auth_policy_server_url = http://127.0.0.1:" + ingest.httpPort() + "/v1/dovecot-policy");
    out.println("  auth_policy_hash_nonce = change-me");
    out.println(
        "  auth_policy_request_attributes = login=%{requested_username} remote=%{rip} protocol=%s"
            + " session_id=%{session}");
    out.println("  auth_policy_check_before_auth = no");
    out.println("  auth_policy_check_after_auth = no");
    out.println("  auth_policy_report_after_auth = yes");
    out.println();
    out.println("Try it from another terminal:");
    out.println(
        "  java -jar target/pop-before-smtp.jar publish --bootstrap-servers "
            + kafka.bootstrapServers()
            + " --schema-registry-url "
            + registry.url()
            + " --user alice --ip 203.0.113.5");
    out.println("  curl http://127.0.0.1:" + edge.httpPort() + "/v1/check/203.0.113.5");
    out.flush();
  }

  private static void closeAll(Deque<AutoCloseable> started) {
    while (!started.isEmpty()) {
      try {
        started.pop().close();
      } catch (Exception e) {
        // keep closing the rest; the stack is going away
        System.err.println("while stopping: " + e);
      }
    }
  }

  static void delete(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
