package org.popbeforesmtp.runtime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;

/**
 * A real KRaft cluster of several nodes on loopback, each node (broker and controller) in its own
 * JVM ({@code kafka.Kafka} on this JVM's class path), replication factor = nodes and {@code
 * min.insync.replicas=2} for every topic: what the tests {@code kill -9} nodes of, and what {@code
 * bench --brokers 3} measures on, to see what a production cluster does.
 */
public final class LocalCluster implements Brokers {
  private final Path dir;
  private final int[] brokerPorts;
  private final int[] clientPorts;
  private final Process[] nodes;

  private LocalCluster(Path dir, int[] brokerPorts, int[] clientPorts) {
    this.dir = dir;
    this.brokerPorts = brokerPorts;
    this.clientPorts = clientPorts;
    this.nodes = new Process[brokerPorts.length];
  }

  /**
   * A client listener with SASL/SCRAM-SHA-512 over TLS and ACLs enforced (StandardAuthorizer, no
   * ACL means no access), next to the internal plaintext listener, whose anonymous principal is the
   * only super user (brokers among themselves, and the test's own admin work).
   *
   * @param keystore PKCS12 keystore of the brokers' certificate (for 127.0.0.1)
   */
  public record Security(Path keystore, String password) {}

  /** Formats and starts {@code size} nodes; returns once all are in the cluster. */
  public static LocalCluster start(Path dir, int size) throws Exception {
    return start(dir, size, null);
  }

  /** As {@link #start(Path, int)}, with a secured client listener when {@code security} is set. */
  public static LocalCluster start(Path dir, int size, Security security) throws Exception {
    int[] brokerPorts = new int[size];
    int[] clientPorts = new int[size];
    int[] controllerPorts = new int[size];
    StringBuilder voters = new StringBuilder();
    for (int i = 0; i < size; i++) {
      brokerPorts[i] = EmbeddedKafka.freePort();
      clientPorts[i] = security == null ? brokerPorts[i] : EmbeddedKafka.freePort();
      controllerPorts[i] = EmbeddedKafka.freePort();
      voters
          .append(i == 0 ? "" : ",")
          .append(i + 1)
          .append("@127.0.0.1:")
          .append(controllerPorts[i]);
    }
    String clusterId = Uuid.randomUuid().toString();
    LocalCluster cluster = new LocalCluster(dir, brokerPorts, clientPorts);
    for (int i = 0; i < size; i++) {
      Properties p = new Properties();
      p.put("process.roles", "broker,controller");
      p.put("node.id", Integer.toString(i + 1));
      p.put("controller.quorum.voters", voters.toString());
      p.put(
          "listeners",
          "PLAINTEXT://127.0.0.1:"
              + brokerPorts[i]
              + ",CONTROLLER://127.0.0.1:"
              + controllerPorts[i]);
      p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPorts[i]);
      p.put("controller.listener.names", "CONTROLLER");
      p.put("inter.broker.listener.name", "PLAINTEXT");
      p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
      p.put("log.dirs", dir.resolve("node-" + (i + 1)).resolve("logs").toString());
      p.put("auto.create.topics.enable", "false");
      p.put("default.replication.factor", Integer.toString(size));
      p.put("min.insync.replicas", Integer.toString(Math.min(2, size)));
      p.put("offsets.topic.replication.factor", Integer.toString(size));
      p.put("offsets.topic.num.partitions", "4");
      p.put("transaction.state.log.replication.factor", Integer.toString(size));
      p.put("transaction.state.log.min.isr", Integer.toString(Math.min(2, size)));
      p.put("transaction.state.log.num.partitions", "4");
      p.put("group.initial.rebalance.delay.ms", "0");
      p.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
      // a killed node leaves the ISR after this (default 30 s)
      p.put("replica.lag.time.max.ms", "10000");
      if (security != null) {
        p.put(
            "listeners",
            "PLAINTEXT://127.0.0.1:"
                + brokerPorts[i]
                + ",CLIENT://127.0.0.1:"
                + clientPorts[i]
                + ",CONTROLLER://127.0.0.1:"
                + controllerPorts[i]);
        p.put(
            "advertised.listeners",
            "PLAINTEXT://127.0.0.1:" + brokerPorts[i] + ",CLIENT://127.0.0.1:" + clientPorts[i]);
        p.put(
            "listener.security.protocol.map",
            "PLAINTEXT:PLAINTEXT,CLIENT:SASL_SSL,CONTROLLER:PLAINTEXT");
        p.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
        p.put(
            "listener.name.client.scram-sha-512.sasl.jaas.config",
            "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        p.put("listener.name.client.ssl.keystore.location", security.keystore().toString());
        p.put("listener.name.client.ssl.keystore.password", security.password());
        p.put("listener.name.client.ssl.keystore.type", "PKCS12");
        p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        p.put("super.users", "User:ANONYMOUS");
        p.put("allow.everyone.if.no.acl.found", "false");
      }
      Path nodeDir = Files.createDirectories(dir.resolve("node-" + (i + 1)));
      Path config = nodeDir.resolve("server.properties");
      try (Writer out = Files.newBufferedWriter(config)) {
        p.store(out, "local cluster node " + (i + 1));
      }
      ByteArrayOutputStream output = new ByteArrayOutputStream();
      int rc;
      try (PrintStream print = new PrintStream(output, true, StandardCharsets.UTF_8)) {
        rc =
            StorageTool.execute(
                new String[] {"format", "-c", config.toString(), "-t", clusterId}, print);
      }
      if (rc != 0) {
        throw new IllegalStateException("formatting node " + (i + 1) + " failed: " + output);
      }
    }
    try {
      for (int i = 0; i < size; i++) {
        cluster.startNode(i + 1);
      }
      cluster.awaitNodes(size, Duration.ofSeconds(90));
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  /** Starts node {@code id} (1-based) from its config and data, as its own JVM. */
  public synchronized void startNode(int id) throws IOException {
    Path nodeDir = dir.resolve("node-" + id);
    nodes[id - 1] =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m",
                "-XX:+UseSerialGC",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp",
                System.getProperty("java.class.path"),
                "kafka.Kafka",
                nodeDir.resolve("server.properties").toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(nodeDir.resolve("node.log").toFile()))
            .start();
  }

  /** Starts every node that is not running (killed by a test, or died). */
  public synchronized void startStoppedNodes() throws IOException {
    for (int id = 1; id <= nodes.length; id++) {
      if (nodes[id - 1] == null || !nodes[id - 1].isAlive()) {
        startNode(id);
      }
    }
  }

  @Override
  public int size() {
    return nodes.length;
  }

  /** kill -9 of node {@code id}. */
  public synchronized void kill(int id) throws InterruptedException {
    Process p = nodes[id - 1];
    if (p != null) {
      p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      nodes[id - 1] = null;
    }
  }

  /** Waits until {@code count} brokers are registered and serving. */
  public void awaitNodes(int count, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Admin admin = admin()) {
      while (true) {
        try {
          if (admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size() >= count) {
            return;
          }
        } catch (Exception e) {
          // not up yet
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              count + " brokers did not come up within " + timeout + ": " + logs());
        }
        Thread.sleep(200);
      }
    }
  }

  @Override
  public String bootstrapServers() {
    List<String> all = new ArrayList<>();
    for (int port : brokerPorts) {
      all.add("127.0.0.1:" + port);
    }
    return String.join(",", all);
  }

  /**
   * The client listeners' {@code host:port}s: SASL_SSL when the cluster is secured, else the same
   * as {@link #bootstrapServers()}.
   */
  public String clientBootstrapServers() {
    List<String> all = new ArrayList<>();
    for (int port : clientPorts) {
      all.add("127.0.0.1:" + port);
    }
    return String.join(",", all);
  }

  /** An admin client on the internal listener: a super user on a secured cluster. */
  public Admin admin() {
    return Admin.create(Map.of("bootstrap.servers", bootstrapServers()));
  }

  /** The tail of every node's log (for failure messages). */
  public String logs() throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int i = 1; i <= nodes.length; i++) {
      Path log = dir.resolve("node-" + i).resolve("node.log");
      if (Files.exists(log)) {
        String text = Files.readString(log);
        sb.append("\n--- node ").append(i).append(" ---\n");
        sb.append(text, Math.max(0, text.length() - 3000), text.length());
      }
    }
    return sb.toString();
  }

  @Override
  public synchronized void close() {
    for (int i = 0; i < nodes.length; i++) {
      if (nodes[i] != null) {
        nodes[i].destroy();
      }
    }
    for (int i = 0; i < nodes.length; i++) {
      if (nodes[i] != null) {
        try {
          if (!nodes[i].waitFor(30, TimeUnit.SECONDS)) {
            nodes[i].destroyForcibly();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          nodes[i].destroyForcibly();
        }
        nodes[i] = null;
      }
    }
  }
}
