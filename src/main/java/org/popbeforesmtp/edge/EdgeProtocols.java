package org.popbeforesmtp.edge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the policy and socketmap servers answer, given a {@link GrantLookup}: the protocol-neutral
 * decision plus its metrics. Any path that is not a live grant answers "not granted".
 *
 * @param okAction policy reply for a granted client (default {@code OK})
 * @param socketmapValue socketmap value for a granted client (default {@code OK}, so {@code
 *     check_client_access socketmap:...} permits)
 * @param tempWhenNotReady socketmap answers {@code TEMP} instead of {@code NOTFOUND} while loading
 */
public record EdgeProtocols(
    GrantLookup lookup,
    String okAction,
    String socketmapValue,
    boolean tempWhenNotReady,
    Duration idleTimeout,
    MeterRegistry metrics) {
  private static final Logger LOG = LoggerFactory.getLogger(EdgeProtocols.class);

  /** Per protocol: lookups by verdict and lookup latency. */
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
                .tag("verdict", o.name().toLowerCase(java.util.Locale.ROOT))
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
      return check(address);
    }

    GrantLookup.Verdict check(String address) {
      long start = System.nanoTime();
      GrantLookup.Verdict verdict;
      try {
        verdict = lookup.check(address);
      } catch (RuntimeException e) {
        LOG.error("lookup of {} failed; answering not granted", address, e);
        verdict = new GrantLookup.Verdict(GrantLookup.Outcome.NOT_GRANTED, 0, "internal error");
      }
      latency.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
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

  Meters meters(String protocol) {
    return new Meters(protocol);
  }

  /** Meters of the HTTP check endpoint. */
  public Meters httpMeters() {
    return new Meters("http");
  }

  /** The policy reply (with its terminating empty line) for one decoded request. */
  String policyReply(Map<String, String> request, Meters meters) {
    String address = request.get("client_address");
    if (address == null || address.isEmpty()) {
      return PolicyCodec.reply("DUNNO");
    }
    GrantLookup.Verdict verdict = meters.check(address);
    return PolicyCodec.reply(verdict.granted() ? okAction : "DUNNO");
  }

  /** The socketmap reply payload for one request {@code <name> <key>}. */
  String socketmapReply(String request, Meters meters) {
    int space = request.indexOf(' ');
    if (space <= 0 || space == request.length() - 1) {
      return "PERM request is not '<name> <key>'";
    }
    String key = request.substring(space + 1);
    GrantLookup.Verdict verdict = meters.check(key);
    return switch (verdict.outcome()) {
      case GRANTED -> "OK " + socketmapValue;
      case NOT_READY -> tempWhenNotReady ? "TEMP grant cache still loading" : "NOTFOUND ";
      // Postfix asks for the client host name first: anything that is no address is not found
      case INVALID, NOT_GRANTED -> "NOTFOUND ";
    };
  }
}
