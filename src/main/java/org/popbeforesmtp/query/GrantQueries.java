package org.popbeforesmtp.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.popbeforesmtp.grants.GrantRules;
import org.popbeforesmtp.grants.GrantState;
import org.popbeforesmtp.grants.KeyState;
import org.popbeforesmtp.grants.StoreNames;
import org.popbeforesmtp.net.InvalidAddressException;
import org.popbeforesmtp.text.Json;

/**
 * Interactive queries of a running grant processor, answered as HTTP status + JSON body.
 *
 * <p>Per-IP questions go to the instance that owns the IP's grant key (found with {@link
 * KafkaStreams#queryMetadataForKey}): answered locally when this instance owns it, else forwarded
 * once (a forwarded request carries {@link #FORWARDED_HEADER} and is never forwarded again). During
 * a rebalance, or when the owner is unreachable, a local standby copy answers when there is one
 * ({@code X-Served-By: standby}), else 503 with Retry-After. Per-user questions are gathered from
 * every instance. Every answer re-checks expiresAt against the clock.
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

  /** An HTTP answer: status, JSON body, and which instance or copy served it. */
  public record Answer(int status, String body, String servedBy) {
    static Answer unavailable(String reason) {
      return new Answer(503, Json.error("unavailable", reason).toString(), "none");
    }
  }

  /** Answers on one key's state, given the local store that holds it. */
  private interface KeyQuery {
    Answer answer(String ip, String key, ReadOnlyKeyValueStore<String, KeyState> store, String by);
  }

  /** {@code GET /v1/grants/{ip}}: the live grant covering the address. */
  public Answer grant(String ip, boolean forwarded) {
    return route(ip, forwarded, "/v1/grants/", this::liveGrant);
  }

  /** {@code GET /v1/logins/{ip}}: the grant sessions of the address's key still in retention. */
  public Answer history(String ip, boolean forwarded) {
    return route(ip, forwarded, "/v1/logins/", this::sessions);
  }

  private Answer liveGrant(
      String ip, String key, ReadOnlyKeyValueStore<String, KeyState> store, String by) {
    GrantState best = rules.liveSession(store.get(key), clock.millis());
    if (best == null) {
      ObjectNode body = Json.error("no live grant", "no live grant covers " + ip);
      return new Answer(404, body.put("key", key).toString(), by);
    }
    return new Answer(200, GrantJson.grant(rules.toGrant(key, best)).toString(), by);
  }

  private Answer sessions(
      String ip, String key, ReadOnlyKeyValueStore<String, KeyState> store, String by) {
    long now = clock.millis();
    KeyState state = store.get(key);
    GrantState live = rules.liveSession(state, now);
    ArrayNode sessions = Json.mapper().createArrayNode();
    for (GrantState s : state == null ? List.<GrantState>of() : state.sessions()) {
      long expiresAt = rules.policy().expiresAt(s.end());
      ObjectNode node =
          sessions
              .addObject()
              .put("start", Json.instant(Instant.ofEpochMilli(s.start())))
              .put("end", Json.instant(Instant.ofEpochMilli(s.end())))
              .put("expiresAt", Json.instant(Instant.ofEpochMilli(expiresAt)))
              .put("live", s == live)
              .put("sharedAddress", s.sharedAddress())
              .put("eventCount", s.eventCount());
      ArrayNode users = node.putArray("users");
      for (GrantState.Share share : s.shares()) {
        users
            .addObject()
            .put("username", share.username())
            .put("firstAt", Json.instant(Instant.ofEpochMilli(share.firstAt())))
            .put("lastAt", Json.instant(Instant.ofEpochMilli(share.lastAt())))
            .put("events", share.count())
            .put("lastEventId", share.eventId())
            .put("clientIp", share.clientIp());
      }
    }
    ObjectNode body = Json.mapper().createObjectNode().put("ip", ip).put("key", key);
    body.set("sessions", sessions);
    return new Answer(200, body.toString(), by);
  }

  private Answer route(String ip, boolean forwarded, String path, KeyQuery query) {
    String key;
    try {
      key = rules.policy().keys().keyOf(ip);
    } catch (InvalidAddressException e) {
      return new Answer(400, Json.error("invalid address", e.getMessage()).toString(), "none");
    }
    KeyQueryMetadata owner;
    try {
      owner = streams.queryMetadataForKey(StoreNames.KEY_STATE, key, Serdes.String().serializer());
    } catch (IllegalStateException e) {
      return Answer.unavailable("grant processor is not running: " + e.getMessage());
    }
    if (owner == null || owner.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
      return standby(ip, key, null, query, "partition owner unknown (rebalancing)");
    }
    if (owner.activeHost().equals(self)) {
      try {
        return query.answer(ip, key, store(owner.partition(), false), "active");
      } catch (InvalidStateStoreException e) {
        return standby(ip, key, owner.partition(), query, "store migrating: " + e.getMessage());
      }
    }
    if (forwarded) {
      return standby(
          ip, key, owner.partition(), query, "owner is " + owner.activeHost() + ", not this one");
    }
    try {
      return forward(owner.activeHost(), path + URLEncoder.encode(ip, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return standby(
          ip, key, owner.partition(), query, "owner " + owner.activeHost() + " unreachable: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Answer.unavailable("interrupted");
    }
  }

  private Answer standby(String ip, String key, Integer partition, KeyQuery query, String why) {
    try {
      return query.answer(ip, key, store(partition, true), "standby");
    } catch (InvalidStateStoreException e) {
      return Answer.unavailable(why);
    }
  }

  private ReadOnlyKeyValueStore<String, KeyState> store(Integer partition, boolean stale) {
    StoreQueryParameters<ReadOnlyKeyValueStore<String, KeyState>> params =
        StoreQueryParameters.fromNameAndType(
            StoreNames.KEY_STATE, QueryableStoreTypes.<String, KeyState>keyValueStore());
    if (partition != null) {
      params = params.withPartition(partition);
    }
    return streams.store(stale ? params.enableStaleStores() : params);
  }

  /**
   * {@code GET /v1/grants?user=NAME}: the live grants holding a login of the user, from this
   * instance's active tasks and (unless {@code forwarded}) every other instance's.
   */
  public Answer grantsOfUser(String user, boolean forwarded) {
    if (user == null || user.isBlank()) {
      return new Answer(400, Json.error("missing user", "give ?user=NAME").toString(), "none");
    }
    ArrayNode grants = Json.mapper().createArrayNode();
    List<String> missing = new ArrayList<>();
    try {
      long now = clock.millis();
      // no user index (see StoreNames): a scan of this instance's key states, rare and read-only
      try (KeyValueIterator<String, KeyState> it = store(null, false).all()) {
        while (it.hasNext()) {
          KeyValue<String, KeyState> entry = it.next();
          if (entry.value.users().contains(user)) {
            GrantState best = rules.liveSession(entry.value, now);
            if (best != null) {
              grants.add(GrantJson.grant(rules.toGrant(entry.key, best)));
            }
          }
        }
      }
    } catch (InvalidStateStoreException e) {
      missing.add(self.host() + ":" + self.port() + " (" + e.getMessage() + ")");
    }
    if (!forwarded) {
      try {
        Gathered others =
            fromOthers("/v1/grants?user=" + URLEncoder.encode(user, StandardCharsets.UTF_8));
        others.bodies().forEach(b -> b.get("grants").forEach(grants::add));
        missing.addAll(others.missing());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Answer.unavailable("interrupted");
      }
    }
    ObjectNode body = Json.mapper().createObjectNode().put("user", user);
    body.set("grants", grants);
    if (!missing.isEmpty()) {
      // partial answers are marked, never passed off as complete
      body.putPOJO("incomplete", missing);
      return new Answer(503, body.toString(), "scatter-gather");
    }
    return new Answer(200, body.toString(), "scatter-gather");
  }

  /** What the other instances answered: the bodies of those that said 200, and who did not. */
  public record Gathered(List<JsonNode> bodies, List<String> missing) {}

  /**
   * Asks every other instance of the group the same GET, marked forwarded (none of them asks
   * further). An instance that fails or answers anything but 200 is named in {@code missing}.
   */
  public Gathered fromOthers(String pathAndQuery) throws InterruptedException {
    List<JsonNode> bodies = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (StreamsMetadata instance : streams.metadataForAllStreamsClients()) {
      HostInfo host = instance.hostInfo();
      if (host.equals(self)) {
        continue;
      }
      String name = host.host() + ":" + host.port();
      try {
        Answer remote = forward(host, pathAndQuery);
        if (remote.status() == 200) {
          bodies.add(Json.mapper().readTree(remote.body()));
        } else {
          missing.add(name + " (HTTP " + remote.status() + ")");
        }
      } catch (IOException e) {
        missing.add(name + " (" + e + ")");
      }
    }
    return new Gathered(bodies, missing);
  }

  private Answer forward(HostInfo owner, String pathAndQuery)
      throws IOException, InterruptedException {
    URI uri = URI.create("http://" + owner.host() + ":" + owner.port() + pathAndQuery);
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(uri)
                .timeout(forwardTimeout)
                .header(FORWARDED_HEADER, self.host() + ":" + self.port())
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return new Answer(response.statusCode(), response.body(), owner.host() + ":" + owner.port());
  }
}
