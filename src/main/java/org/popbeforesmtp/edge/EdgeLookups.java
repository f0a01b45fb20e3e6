package org.popbeforesmtp.edge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every protocol server of the edge shares: the {@link GrantLookup}, counted and timed per
 * protocol, and the idle timeout of its connections. A lookup that throws answers "not granted".
 */
public record EdgeLookups(GrantLookup lookup, Duration idleTimeout, MeterRegistry metrics) {
  private static final Logger LOG = LoggerFactory.getLogger(EdgeLookups.class);

  /** Per protocol: lookups by verdict, lookup latency, malformed requests. */
  public final class Meters {
    private final Map<GrantLookup.Outcome, Counter> verdicts =
        new EnumMap<>(GrantLookup.Outcome.class);
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
      for (GrantLookup.Outcome o : GrantLookup.Outcome.values()) {
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
    public GrantLookup.Verdict verdict(String address) {
      long start = System.nanoTime();
      GrantLookup.Verdict verdict;
      try {
        verdict = lookup.check(address);
      } catch (RuntimeException e) {
        LOG.error("lookup of {} failed; answering not granted", address, e);
        verdict = GrantLookup.Verdict.error("internal error");
      }
      latency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      verdicts.get(verdict.outcome()).increment();
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

  /** The meters of one protocol (its name tags the metrics). */
  public Meters meters(String protocol) {
    return new Meters(protocol);
  }
}
