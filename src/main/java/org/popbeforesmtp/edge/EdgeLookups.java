package org.popbeforesmtp.edge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.popbeforesmtp.net.Listeners;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every protocol server of the edge shares: the {@link GrantLookup}, counted and timed per
 * protocol, and the limits of its connections. A lookup that throws answers "not granted".
 *
 * @param idleTimeout a connection that sends nothing this long is closed
 * @param requestTimeout a request must complete this long after its first byte (slowloris)
 * @param maxConnections connections one protocol holds open at once; more are closed at once
 */
public record EdgeLookups(
    GrantLookup lookup,
    Duration idleTimeout,
    Duration requestTimeout,
    int maxConnections,
    MeterRegistry metrics) {
  private static final Logger LOG = LoggerFactory.getLogger(EdgeLookups.class);

  /** Per protocol: lookups by verdict, lookup latency, malformed requests. */
  public final class Meters {
    private final Map<GrantLookup.Status, Counter> verdicts =
        new EnumMap<>(GrantLookup.Status.class);
    private final Timer latency;
    private final Counter malformed;
    private final String protocol;

    Meters(String protocol) {
      this.protocol = protocol;
      malformed =
          Counter.builder("pop_before_smtp_edge_requests_malformed")
              .description("requests refused as malformed (garbage, oversize, missing fields)")
              .tag("protocol", protocol)
              .register(metrics);
      for (GrantLookup.Status o : GrantLookup.Status.values()) {
        verdicts.put(
            o,
            Counter.builder("pop_before_smtp_edge_lookups")
                .tag("protocol", protocol)
                .tag("verdict", o.name().toLowerCase(Locale.ROOT))
                .register(metrics));
      }
      latency =
          Timer.builder("pop_before_smtp_edge_lookup_latency")
              .tag("protocol", protocol)
              .publishPercentileHistogram()
              .register(metrics);
    }

    /** The verdict for an address, counted and timed. */
    public GrantLookup.Answer verdict(String address) {
      long start = System.nanoTime();
      GrantLookup.Answer verdict;
      try {
        verdict = lookup.check(address);
      } catch (RuntimeException e) {
        LOG.error("lookup of {} failed; answering not granted", address, e);
        verdict = GrantLookup.Answer.error("internal error");
      }
      latency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      verdicts.get(verdict.status()).increment();
      return verdict;
    }

    /**
     * A request refused as malformed: counted, and logged once (a connection's decoder can fail
     * again on what it still holds as the connection closes; the handlers report only the first).
     */
    void malformed(Object client, String reason) {
      malformed.increment();
      LOG.warn("{} client {}: {}; refused", protocol, client, reason);
    }

    /** Requests refused as malformed so far. */
    double malformedCount() {
      return malformed.count();
    }
  }

  /** The limits of a protocol's TCP listener. */
  public Listeners.Limits limits(String protocol) {
    return new Listeners.Limits(protocol, idleTimeout, requestTimeout, maxConnections);
  }

  /** A protocol's connection counts, as metrics tagged with its name. */
  public Listeners.Connections connections(String protocol) {
    return register(protocol, new Listeners.Connections());
  }

  /** Shows {@code c} as a protocol's connection metrics, tagged with its name. */
  public Listeners.Connections register(String protocol, Listeners.Connections c) {
    Gauge.builder("pop_before_smtp_edge_connections", c, Listeners.Connections::open)
        .description("protocol connections open")
        .tag("protocol", protocol)
        .register(metrics);
    FunctionCounter.builder(
            "pop_before_smtp_edge_connections_refused", c, Listeners.Connections::refused)
        .description("connections closed at once: max.connections were open")
        .tag("protocol", protocol)
        .register(metrics);
    FunctionCounter.builder(
            "pop_before_smtp_edge_requests_timed_out", c, Listeners.Connections::timedOut)
        .description("connections closed: a request did not complete within request.timeout")
        .tag("protocol", protocol)
        .register(metrics);
    return c;
  }

  /** The meters of one protocol (its name tags the metrics). */
  public Meters meters(String protocol) {
    return new Meters(protocol);
  }
}
