package org.popbeforesmtp.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.popbeforesmtp.config.ProcessorConfig;
import org.popbeforesmtp.edge.EdgeProtocol;
import org.popbeforesmtp.edge.PolicyProtocol;
import org.popbeforesmtp.edge.SocketmapProtocol;
import org.popbeforesmtp.edge.WhosonProtocol;
import org.popbeforesmtp.runtime.ConfigSnippets;
import org.popbeforesmtp.runtime.DemoFleet;
import org.popbeforesmtp.runtime.DevSchemaRegistry;
import org.popbeforesmtp.runtime.DevStack;
import org.popbeforesmtp.runtime.EdgeApp;
import org.popbeforesmtp.runtime.EmbeddedKafka;
import org.popbeforesmtp.runtime.IngestApp;
import org.popbeforesmtp.runtime.ProcessorApp;
import org.popbeforesmtp.text.Durations;
import org.popbeforesmtp.text.Setting;
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
    modelTransformer = SettingFlags.Transformer.class,
    description = {
      "Starts the whole stack in one JVM on 127.0.0.1 (embedded Kafka broker, dev schema registry,"
          + " processor, edge, ingest) and prints where each listens. Ctrl-C stops it. A"
          + " development convenience, not a deployment.",
      ""
    })
public final class DevCommand extends SettingFlags.Flagged implements Callable<Integer> {
  @Override
  List<Setting> flagged() {
    return ProcessorConfig.RULES;
  }

  @Override
  List<Setting> flaggedWithDefaults() {
    return EdgeProtocol.all().stream().map(EdgeProtocol::port).toList();
  }

  @Spec CommandSpec spec;

  @Option(
      names = "--data-dir",
      description =
          "Broker data, schemas and state (default pop-before-smtp-dev; with --demo,"
              + " pop-before-smtp-demo, so the demo's settings never meet a dev stack's data).")
  Path dataDir;

  @Option(names = "--fresh", description = "Delete the data directory first.")
  boolean fresh;

  @Option(
      names = "--demo",
      description =
          "Also run a simulated mail fleet (POP3/IMAP logins, a shared NAT, IPv6, failed"
              + " passwords, SMTP gateways asking the policy server) with a live status line."
              + " Without --ttl and --max-users-per-key it uses 30s and 5.")
  boolean demo;

  @Option(
      names = "--demo-users",
      defaultValue = "200",
      description = "Simulated users (default ${DEFAULT-VALUE}).")
  int demoUsers;

  @Option(
      names = "--demo-rate",
      defaultValue = "20",
      description = "Simulated logins per second (default ${DEFAULT-VALUE}).")
  double demoRate;

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

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (dataDir == null) {
      dataDir = Path.of(demo ? "pop-before-smtp-demo" : "pop-before-smtp-dev");
    }
    out.println("starting the dev stack (data in " + dataDir.toAbsolutePath() + ")...");
    out.flush();
    Map<String, String> grants = new LinkedHashMap<>();
    for (Setting rule : ProcessorConfig.RULES) {
      if (flags.get(rule.name()) != null) {
        grants.put(rule.name(), flags.get(rule.name()));
      }
    }
    DemoFleet.Settings demoSettings = null;
    if (demo) {
      demoSettings = new DemoFleet.Settings(demoUsers, demoRate, 42);
      grants.putIfAbsent("ttl", "30s");
      grants.putIfAbsent("max.users.per.key", "5");
    }
    DevStack stack =
        DevStack.start(
            new DevStack.Settings(
                dataDir,
                fresh,
                kafkaPort,
                registryPort,
                apiPort,
                ingestPort,
                edgePort,
                ports(),
                grants));
    printBanner(out, stack, dataDir);
    if (demoSettings == null) {
      return Services.runUntilStopped(stack, "dev");
    }
    out.println();
    out.println(
        "demo fleet: "
            + demoUsers
            + " users, "
            + demoRate
            + " logins/s; ttl "
            + grants.get("ttl")
            + "; shared NAT "
            + DemoFleet.SHARED_NAT
            + " (more than "
            + grants.get("max.users.per.key")
            + " users in a TTL: no grant)");
    out.flush();
    boolean terminal = ProgressBar.onTerminal();
    long[] lines = {0};
    DemoFleet fleet =
        DemoFleet.start(
            stack,
            demoSettings,
            line -> {
              // a redrawn line on a terminal, a line every 10 s on a pipe
              if (terminal) {
                out.print("\r" + line + "  ");
                out.flush();
              } else if (lines[0]++ % 10 == 0) {
                out.println(line);
                out.flush();
              }
            });
    return Services.runUntilStopped(
        () -> {
          try (stack) {
            fleet.close();
          }
        },
        "dev");
  }

  /** The protocol ports given (or defaulted), checked. */
  private Map<String, Integer> ports() {
    Map<String, Integer> ports = new LinkedHashMap<>();
    for (EdgeProtocol p : EdgeProtocol.all()) {
      ports.put(p.name(), EdgeProtocol.port(flags, p.port()));
    }
    return ports;
  }

  /**
   * The banner: where each part listens, the mail-server lines that point at it ({@link
   * ConfigSnippets}) and what to try.
   */
  public static void printBanner(PrintWriter out, DevStack stack, Path dataDir) {
    EmbeddedKafka kafka = stack.kafka();
    DevSchemaRegistry registry = stack.registry();
    ProcessorApp processor = stack.processor();
    EdgeApp edge = stack.edge();
    IngestApp ingest = stack.ingest();
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"Kafka broker (embedded)", kafka.bootstrapServers()});
    rows.add(new String[] {"schema registry (dev only)", registry.url()});
    rows.add(
        new String[] {
          "processor API", "http://127.0.0.1:" + processor.httpPort() + "/v1/grants/{ip}"
        });
    rows.add(new String[] {"dashboard", stack.dashboardUrl()});
    rows.add(new String[] {"edge HTTP", "http://127.0.0.1:" + edge.httpPort() + "/v1/check/{ip}"});
    for (EdgeProtocol p : EdgeProtocol.all()) {
      rows.add(new String[] {p.title(), "127.0.0.1:" + edge.port(p.name())});
    }
    rows.add(
        new String[] {
          "Dovecot auth-policy endpoint",
          "http://127.0.0.1:" + ingest.httpPort() + "/v1/dovecot-policy"
        });
    rows.add(new String[] {"whoson writers (ingest)", "127.0.0.1:" + ingest.whosonPort()});
    rows.add(new String[] {"data directory", dataDir.toAbsolutePath().toString()});
    int width = 0;
    for (String[] row : rows) {
      width = Math.max(width, row[0].length());
    }
    out.println();
    out.println(
        "pop-before-smtp dev stack is up (TTL "
            + Durations.format(processor.config().policy().ttl())
            + "). Ctrl-C stops it.");
    out.println();
    for (String[] row : rows) {
      out.printf("  %-" + width + "s  %s%n", row[0], row[1]);
    }
    out.println();
    out.println("Postfix main.cf (policy delegation):");
    ConfigSnippets.postfixPolicy("127.0.0.1", edge.port(PolicyProtocol.NAME))
        .forEach(l -> out.println("  " + l));
    out.println("  # or, through the socketmap:");
    ConfigSnippets.postfixSocketmap("127.0.0.1", edge.port(SocketmapProtocol.NAME))
        .forEach(l -> out.println("  # " + l));
    out.println();
    out.println("sendmail .mc (deploy/sendmail/popbeforesmtp.m4 copied to cf/hack/):");
    ConfigSnippets.sendmailHack("127.0.0.1", edge.port(SocketmapProtocol.NAME))
        .forEach(l -> out.println("  " + l));
    out.println();
    out.println("Exim acl_check_rcpt (before its relay deny):");
    ConfigSnippets.eximAcl("127.0.0.1", edge.port(WhosonProtocol.NAME))
        .forEach(l -> out.println("  " + l));
    out.println();
    out.println("Dovecot (conf.d/95-pop-before-smtp.conf):");
    ConfigSnippets.dovecot(
            "http://127.0.0.1:" + ingest.httpPort() + "/v1/dovecot-policy",
            "<a long random string>")
        .forEach(l -> out.println("  " + l));
    out.println();
    out.println("Try it from another terminal:");
    out.println(
        "  java -jar target/pop-before-smtp.jar publish --bootstrap-servers "
            + kafka.bootstrapServers()
            + " --schema-registry-url "
            + registry.url()
            + " --user alice --ip 203.0.113.5");
    out.println("  curl http://127.0.0.1:" + edge.httpPort() + "/v1/check/203.0.113.5");
    out.println(
        "  java -jar target/pop-before-smtp.jar audit ip 203.0.113.5 --at now --bootstrap-servers "
            + kafka.bootstrapServers()
            + " --schema-registry-url "
            + registry.url()
            + " --ttl "
            + Durations.format(processor.config().policy().ttl()));
    out.flush();
  }
}
