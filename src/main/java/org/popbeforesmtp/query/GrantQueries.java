package org.popbeforesmtp.query;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlySessionStore;
import org.popbeforesmtp.avro.RelayGrant;
import org.popbeforesmtp.grants.GrantRules;
import org.popbeforesmtp.grants.GrantState;
import org.popbeforesmtp.grants.StoreNames;
import org.popbeforesmtp.net.InvalidAddressException;

/**
 * Answers "which grant covers this IP now?" from the {@code grants} session stores of a running
 * grant processor: locally when this instance owns the key, else by forwarding once to the owner
 * (found with {@link KafkaStreams#queryMetadataForKey}); during a rebalance or when the owner is
 * unreachable, from a local standby copy when there is one. Every answer re-checks expiresAt
 * against the clock.
 */
public final class GrantQueries {
  /** Header marking a request forwarded by another instance: it is never forwarded again. */
  public static final String FORWARDED_HEADER = "X-Pop-Before-Smtp-Forwarded";

  private final KafkaStreams streams;
  private final GrantRules rules;
  private final HostInfo self;
  private final Clock clock;
  private final HttpClient http;
  private final Duration forwardTimeout;

  public GrantQueries(
      KafkaStreams streams, GrantRules rules, HostInfo self, Clock clock, Duration forwardTimeout) {
    this.streams = streams;
    this.rules = rules;
    this.self = self;
    this.clock = clock;
    this.forwardTimeout = forwardTimeout;
    this.http = HttpClient.newBuilder().connectTimeout(forwardTimeout).build();
  }

  /** The outcome of a lookup, ready for HTTP. */
  public sealed interface Answer permits Found, NotFound, Invalid, Unavailable, Relayed {}

  /** A live grant covers the address; {@code servedBy} says active or standby. */
  public record Found(RelayGrant grant, String servedBy) implements Answer {}

  /** No live grant covers the address. */
  public record NotFound(String ip, String key) implements Answer {}

  /** The request is bad. */
  public record Invalid(String reason) implements Answer {}

  /** No instance can answer now (rebalance, owner down and no standby here). */
  public record Unavailable(String reason) implements Answer {}

  /** The owner's own answer, passed through. */
  public record Relayed(int status, String body, String owner) implements Answer {}

  /** Looks up the grant that covers {@code ip}. */
  public Answer lookup(String ip, boolean forwarded) {
    String key;
    try {
      key = rules.policy().keys().keyOf(ip);
    } catch (InvalidAddressException e) {
      return new Invalid(e.getMessage());
    }
    KeyQueryMetadata owner;
    try {
      owner = streams.queryMetadataForKey(StoreNames.GRANTS, key, Serdes.String().serializer());
    } catch (IllegalStateException e) {
      return new Unavailable("grant processor is not running: " + e.getMessage());
    }
    if (owner == null || owner.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
      return fromStandby(ip, key, owner, "partition owner unknown (rebalancing)");
    }
    if (owner.activeHost().equals(self)) {
      try {
        return local(ip, key, owner.partition(), false);
      } catch (InvalidStateStoreException e) {
        return fromStandby(ip, key, owner, "store migrating: " + e.getMessage());
      }
    }
    if (forwarded) {
      return fromStandby(ip, key, owner, "owner is " + owner.activeHost() + ", not this instance");
    }
    try {
      return forward(ip, owner.activeHost());
    } catch (IOException e) {
      return fromStandby(ip, key, owner, "owner " + owner.activeHost() + " unreachable: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Unavailable("interrupted");
    }
  }

  private Answer fromStandby(String ip, String key, KeyQueryMetadata owner, String why) {
    Integer partition =
        owner == null || owner.equals(KeyQueryMetadata.NOT_AVAILABLE) ? null : owner.partition();
    try {
      return local(ip, key, partition, true);
    } catch (InvalidStateStoreException e) {
      return new Unavailable(why);
    }
  }

  private Answer local(String ip, String key, Integer partition, boolean stale) {
    StoreQueryParameters<ReadOnlySessionStore<String, GrantState>> params =
        StoreQueryParameters.fromNameAndType(
            StoreNames.GRANTS, QueryableStoreTypes.<String, GrantState>sessionStore());
    if (partition != null) {
      params = params.withPartition(partition);
    }
    if (stale) {
      params = params.enableStaleStores();
    }
    ReadOnlySessionStore<String, GrantState> store = streams.store(params);
    long now = clock.millis();
    long ttl = rules.policy().ttl().toMillis();
    GrantState best = null;
    try (KeyValueIterator<Windowed<String>, GrantState> it = store.fetch(key)) {
      while (it.hasNext()) {
        GrantState state = it.next().value;
        if (!state.shared()
            && state.end() + ttl > now
            && (best == null || state.end() > best.end())) {
          best = state;
        }
      }
    }
    if (best == null) {
      return new NotFound(ip, key);
    }
    return new Found(rules.toGrant(key, best), stale ? "standby" : "active");
  }

  private Answer forward(String ip, HostInfo owner) throws IOException, InterruptedException {
    URI uri =
        URI.create(
            "http://"
                + owner.host()
                + ":"
                + owner.port()
                + "/v1/grants/"
                + URLEncoder.encode(ip, StandardCharsets.UTF_8));
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(uri)
                .timeout(forwardTimeout)
                .header(FORWARDED_HEADER, self.host() + ":" + self.port())
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return new Relayed(response.statusCode(), response.body(), owner.host() + ":" + owner.port());
  }
}
