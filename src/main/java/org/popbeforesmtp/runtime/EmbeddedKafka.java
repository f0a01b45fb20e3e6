package org.popbeforesmtp.runtime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real Apache Kafka broker (KRaft, broker and controller in one node), in this JVM, listening
 * on loopback only, for integration tests and dev mode. Not for production: one node, replication
 * factor 1 for every internal topic.
 */
public final class EmbeddedKafka implements Brokers {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

  private final KafkaRaftServer server;
  private final String bootstrapServers;
  private final Path dataDir;
  private final Properties props;
  private boolean closed;

  private EmbeddedKafka(
      KafkaRaftServer server, String bootstrapServers, Path dataDir, Properties props) {
    this.server = server;
    this.bootstrapServers = bootstrapServers;
    this.dataDir = dataDir;
    this.props = props;
  }

  /**
   * Stops this broker (if running) and starts it again on the same ports and data: clients
   * reconnect to the same address (for tests of a broker that goes away and comes back).
   */
  public EmbeddedKafka restart() {
    close();
    KafkaRaftServer again = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
    again.startup();
    return new EmbeddedKafka(again, bootstrapServers, dataDir, props);
  }

  /**
   * Formats {@code dataDir} (when new) and starts the broker on free loopback ports.
   *
   * @param overrides broker settings that replace the defaults
   */
  public static EmbeddedKafka start(Path dataDir, Map<String, String> overrides) {
    return start(dataDir, 0, overrides);
  }

  /**
   * As {@link #start(Path, Map)}, with the broker's listener on {@code brokerPort} (0: any free
   * port).
   */
  public static EmbeddedKafka start(Path dataDir, int brokerPort, Map<String, String> overrides) {
    long started = System.nanoTime();
    brokerPort = brokerPort == 0 ? freePort() : brokerPort;
    int controllerPort = freePort();
    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", "1");
    props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    props.put(
        "listeners",
        "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
    props.put("controller.listener.names", "CONTROLLER");
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.put("log.dirs", dataDir.resolve("logs").toString());
    props.put("auto.create.topics.enable", "false");
    props.put("num.partitions", "1");
    // a single node: every internal topic with replication factor 1, or groups never form
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "4");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "4");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("log.cleaner.backoff.ms", "1000");
    // a processor killed mid-transaction leaves it open until the coordinator aborts it (the
    // producer's transaction.timeout.ms, 10 s under Streams' exactly-once, then this check): until
    // then read_committed readers of its partitions (edges, the instance that takes its tasks over)
    // see nothing past it. Kafka checks every 10 s by default; every second bounds the wait
    props.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
    props.putAll(overrides);
    try {
      Files.createDirectories(dataDir);
      Path config = dataDir.resolve("server.properties");
      try (Writer out = Files.newBufferedWriter(config)) {
        props.store(out, "embedded broker");
      }
      // a data directory from an earlier run keeps its cluster id: format only new ones
      boolean formatted = Files.exists(dataDir.resolve("logs").resolve("meta.properties"));
      ByteArrayOutputStream output = new ByteArrayOutputStream();
      int rc = 0;
      try (PrintStream print = new PrintStream(output, true, StandardCharsets.UTF_8)) {
        rc =
            formatted
                ? 0
                : StorageTool.execute(
                    new String[] {
                      "format",
                      "-c",
                      config.toString(),
                      "-t",
                      Uuid.randomUuid().toString(),
                      "--ignore-formatted"
                    },
                    print);
      }
      if (rc != 0) {
        throw new IllegalStateException(
            "formatting Kafka storage in " + dataDir + " failed (" + rc + "): " + output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare Kafka data directory " + dataDir, e);
    }
    KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
    server.startup();
    String bootstrap = "127.0.0.1:" + brokerPort;
    LOG.info(
        "embedded Kafka broker at {} (data {}) started in {} ms",
        bootstrap,
        dataDir,
        (System.nanoTime() - started) / 1_000_000);
    return new EmbeddedKafka(server, bootstrap, dataDir, props);
  }

  /** {@code host:port} of the broker's listener. */
  @Override
  public String bootstrapServers() {
    return bootstrapServers;
  }

  public Path dataDir() {
    return dataDir;
  }

  @Override
  public int size() {
    return 1;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    server.shutdown();
    server.awaitShutdown();
  }

  /** A port free on loopback right now. */
  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }
}
