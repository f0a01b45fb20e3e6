package org.popbeforesmtp.runtime;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.popbeforesmtp.config.ConfigSources;
import org.popbeforesmtp.config.EdgeConfig;
import org.popbeforesmtp.config.IngestConfig;
import org.popbeforesmtp.config.ProcessorConfig;
import org.popbeforesmtp.edge.EdgeProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole system in one JVM on loopback, for the {@code dev} command and end-to-end tests: the
 * embedded Kafka broker, the dev schema registry, the processor, the edge and the ingest endpoint.
 * Started in that order, closed in reverse. Not for production.
 */
public final class DevStack implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DevStack.class);

  /**
   * What the stack runs with; ports 0 pick free ones.
   *
   * @param protocolPorts the edge's protocol ports by protocol name (one left out: any free port)
   * @param grantSettings processor settings by property name (ttl, never.grant, ...)
   */
  public record Settings(
      Path dataDir,
      boolean fresh,
      int kafkaPort,
      int registryPort,
      int apiPort,
      int ingestPort,
      int edgePort,
      Map<String, Integer> protocolPorts,
      Map<String, String> grantSettings) {

    /** The port asked for a protocol, 0 when any free one will do. */
    int port(EdgeProtocol protocol) {
      return protocolPorts.getOrDefault(protocol.name(), 0);
    }

    /** The fixed ports asked for, by the flag that sets each (0, any free port, is left out). */
    Map<String, Integer> ports() {
      Map<String, Integer> ports = new LinkedHashMap<>();
      ports.put("--kafka-port", kafkaPort);
      ports.put("--schema-registry-port", registryPort);
      ports.put("--api-port", apiPort);
      ports.put("--ingest-port", ingestPort);
      ports.put("--edge-port", edgePort);
      EdgeProtocol.all().forEach(p -> ports.put(p.port().flag(), port(p)));
      ports.values().removeIf(p -> p == 0);
      return ports;
    }
  }

  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  private EmbeddedKafka kafka;
  private DevSchemaRegistry registry;
  private ProcessorApp processor;
  private EdgeApp edge;
  private IngestApp ingest;

  private DevStack() {}

  /** Starts everything and waits (up to 2 minutes) until the processor and edge are ready. */
  public static DevStack start(Settings settings) throws Exception {
    // the grant settings are checked before anything starts: a bad --ttl costs no broker start
    ProcessorConfig.policy(
        ConfigSources.of(
            ProcessorConfig.SETTINGS,
            ProcessorConfig.DEFAULTS,
            settings.grantSettings(),
            Map.of()));
    DevStack stack = new DevStack();
    try {
      stack.startAll(settings);
    } catch (Exception e) {
      stack.close();
      throw e;
    }
    return stack;
  }

  private void startAll(Settings s) throws Exception {
    Path data = s.dataDir().toAbsolutePath();
    // first of all: a second dev stack on this directory stops here, before it touches anything
    push(DataDirLock.acquire(data));
    requireFree(s.ports());
    if (s.fresh()) {
      delete(data);
    }
    kafka = push(EmbeddedKafka.start(data.resolve("kafka"), s.kafkaPort(), Map.of()));
    registry =
        push(DevSchemaRegistry.start(data.resolve("registry"), "127.0.0.1", s.registryPort()));

    Map<String, String> p = new LinkedHashMap<>(s.grantSettings());
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("schema.registry.url", registry.url());
    p.put("state.dir", data.resolve("state").toString());
    p.put("application.id", "pop-before-smtp-dev");
    p.put("partitions", "3");
    p.put("http.host", "127.0.0.1");
    p.put("http.port", Integer.toString(s.apiPort()));
    p.put("advertised.host", "127.0.0.1");
    // one instance: no standbys (a stopped dev stack leaves the group; one that was killed comes
    // back as the same static member and takes its tasks back at once)
    Map<String, String> streams = Map.of("num.standby.replicas", "0");
    processor =
        push(
            ProcessorApp.start(
                ProcessorConfig.from(
                    ConfigSources.of(
                        ProcessorConfig.SETTINGS, ProcessorConfig.DEFAULTS, p, streams))));

    Map<String, String> e = new LinkedHashMap<>();
    e.put("bootstrap.servers", kafka.bootstrapServers());
    e.put("schema.registry.url", registry.url());
    EdgeProtocol.all().forEach(pr -> e.put(pr.port().name(), Integer.toString(s.port(pr))));
    e.put("http.port", Integer.toString(s.edgePort()));
    edge =
        push(
            EdgeApp.start(
                EdgeConfig.from(
                    ConfigSources.of(EdgeConfig.SETTINGS, EdgeConfig.DEFAULTS, e, Map.of()))));

    Map<String, String> i = new LinkedHashMap<>();
    i.put("bootstrap.servers", kafka.bootstrapServers());
    i.put("schema.registry.url", registry.url());
    i.put("http.port", Integer.toString(s.ingestPort()));
    i.put("server.id", "dev");
    i.put("whoson.port", "0"); // whoson writers on any free port (the edge's whoson has 9876)
    ingest =
        push(
            IngestApp.start(
                IngestConfig.from(
                    ConfigSources.of(IngestConfig.SETTINGS, IngestConfig.DEFAULTS, i, Map.of()))));

    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (!processor.isReady() || !edge.cache().isReady()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the dev stack did not become ready within 2 minutes");
      }
      Thread.sleep(100);
    }
  }

  private <T extends AutoCloseable> T push(T component) {
    started.push(component);
    return component;
  }

  public EmbeddedKafka kafka() {
    return kafka;
  }

  public DevSchemaRegistry registry() {
    return registry;
  }

  /** Where the processor serves the dashboard. */
  public String dashboardUrl() {
    return "http://127.0.0.1:" + processor.httpPort() + Dashboard.PATH;
  }

  public ProcessorApp processor() {
    return processor;
  }

  public EdgeApp edge() {
    return edge;
  }

  public IngestApp ingest() {
    return ingest;
  }

  /** Closes what was started, in reverse order; keeps going past a failing component. */
  @Override
  public synchronized void close() {
    while (!started.isEmpty()) {
      AutoCloseable c = started.pop();
      try {
        c.close();
      } catch (Exception e) {
        LOG.warn("while stopping {}: {}", c.getClass().getSimpleName(), e.toString());
      }
    }
  }

  /** Refuses, naming the flag, a port something else already listens on (on loopback). */
  private static void requireFree(Map<String, Integer> ports) {
    ports.forEach(
        (flag, port) -> {
          try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
          } catch (IOException e) {
            throw new IllegalArgumentException(
                "port "
                    + port
                    + " ("
                    + flag
                    + ") is in use on 127.0.0.1: stop what listens there (another dev?), or give "
                    + flag
                    + " 0 for any free port");
          }
        });
  }

  /** Deletes what {@code dir} holds but the lock this stack holds on it. */
  private static void delete(Path dir) throws IOException {
    Path lock = dir.resolve(DataDirLock.FILE);
    try (Stream<Path> paths = Files.walk(dir)) {
      paths
          .sorted(Comparator.reverseOrder())
          .filter(p -> !p.equals(lock) && !p.equals(dir))
          .forEach(p -> p.toFile().delete());
    }
  }
}
