package org.popbeforesmtp.runtime;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.popbeforesmtp.grants.TopicUnavailableException;
import org.popbeforesmtp.grants.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the system's topics when missing, with the configs of DESIGN section 3, and refuses to
 * start on existing topics whose configuration would break the contract (e.g. a relay.grants topic
 * that is not compacted).
 */
public final class TopicProvisioner {
  private static final Logger LOG = LoggerFactory.getLogger(TopicProvisioner.class);
  static final long LOGIN_RETENTION_MS = 400L * 24 * 3600 * 1000;
  static final long DEAD_LETTER_RETENTION_MS = 30L * 24 * 3600 * 1000;
  static final long GRANT_TOMBSTONE_RETENTION_MS = 60_000;

  private TopicProvisioner() {}

  /** Thrown when an existing topic cannot be used; the message says how to fix it. */
  public static final class TopicConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TopicConfigException(String message) {
      super(message);
    }
  }

  /** The topics and their configs as this project creates them. */
  static Map<String, Map<String, String>> wanted(Topics topics) {
    Map<String, Map<String, String>> wanted = new LinkedHashMap<>();
    wanted.put(topics.logins(), deletedAfter(LOGIN_RETENTION_MS));
    wanted.put(
        topics.grants(),
        Map.of(
            TopicConfig.CLEANUP_POLICY_CONFIG,
            TopicConfig.CLEANUP_POLICY_COMPACT,
            TopicConfig.DELETE_RETENTION_MS_CONFIG,
            Long.toString(GRANT_TOMBSTONE_RETENTION_MS),
            TopicConfig.SEGMENT_MS_CONFIG,
            Long.toString(3_600_000),
            TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG,
            "0.1"));
    wanted.put(topics.revocations(), deletedAfter(LOGIN_RETENTION_MS));
    wanted.put(topics.deadLetters(), deletedAfter(DEAD_LETTER_RETENTION_MS));
    return wanted;
  }

  /** The config of a topic whose records are deleted {@code retentionMs} after they are written. */
  private static Map<String, String> deletedAfter(long retentionMs) {
    return Map.of(
        TopicConfig.CLEANUP_POLICY_CONFIG,
        TopicConfig.CLEANUP_POLICY_DELETE,
        TopicConfig.RETENTION_MS_CONFIG,
        Long.toString(retentionMs));
  }

  /**
   * Ensures the topics exist and are usable.
   *
   * @param partitions partitions of topics created here (revocations get one: their order matters
   *     and they are few)
   * @param replicationFactor -1 for the broker's default
   * @return the partition count of the logins topic (the grant topology's internal topics get it)
   */
  public static int ensure(Admin admin, Topics topics, int partitions, int replicationFactor) {
    Map<String, Map<String, String>> wanted = wanted(topics);
    try {
      Set<String> existing = listTopics(admin);
      List<NewTopic> create = new ArrayList<>();
      for (var entry : wanted.entrySet()) {
        if (!existing.contains(entry.getKey())) {
          int count = entry.getKey().equals(topics.revocations()) ? 1 : partitions;
          create.add(
              new NewTopic(
                      entry.getKey(),
                      Optional.of(count),
                      replicationFactor < 1
                          ? Optional.empty()
                          : Optional.of((short) replicationFactor))
                  .configs(entry.getValue()));
        }
      }
      if (!create.isEmpty()) {
        try {
          admin.createTopics(create).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
        LOG.info("created topics {}", create.stream().map(NewTopic::name).toList());
      }
      TopicDescription logins = describeWhenLed(admin, topics, wanted.keySet());
      int actual = logins.partitions().size();
      if (actual != partitions) {
        LOG.warn(
            "topic {} has {} partitions, not the configured {}: using {}",
            topics.logins(),
            actual,
            partitions,
            actual);
      }
      return actual;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while provisioning topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw cannot("list, create or describe", wanted.keySet(), e);
    }
  }

  /** What the admin client could not do with {@code topics}, and its cause. */
  private static IllegalStateException cannot(String what, Set<String> topics, Exception e) {
    return new IllegalStateException(
        "cannot " + what + " topics " + topics + ": " + (e.getCause() == null ? e : e.getCause()),
        e);
  }

  /**
   * Checks the topics without creating any: writes one line per topic (partitions, replication
   * factor and cleanup policy, or "missing") to {@code out}, and validates the existing ones.
   *
   * @return the names of the missing topics
   * @throws TopicConfigException when an existing topic's configuration breaks the contract
   */
  public static List<String> check(Admin admin, Topics topics, Consumer<String> out) {
    Map<String, Map<String, String>> wanted = wanted(topics);
    try {
      Set<String> existing = listTopics(admin);
      List<String> present = wanted.keySet().stream().filter(existing::contains).toList();
      Map<String, TopicDescription> described =
          admin.describeTopics(present).allTopicNames().get(30, TimeUnit.SECONDS);
      Map<ConfigResource, Config> configs =
          admin
              .describeConfigs(
                  present.stream()
                      .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t))
                      .toList())
              .all()
              .get(30, TimeUnit.SECONDS);
      List<String> missing = new ArrayList<>();
      for (String name : wanted.keySet()) {
        TopicDescription d = described.get(name);
        if (d == null) {
          missing.add(name);
          out.accept(String.format("%-24s missing", name));
        } else {
          out.accept(
              String.format(
                  "%-24s %3d partitions, replication factor %d, cleanup.policy=%s",
                  name,
                  d.partitions().size(),
                  d.partitions().get(0).replicas().size(),
                  policy(configs.get(new ConfigResource(ConfigResource.Type.TOPIC, name)))));
        }
      }
      if (existing.contains(topics.logins()) && existing.contains(topics.grants())) {
        validate(admin, topics);
      }
      return missing;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw cannot("list or describe", wanted.keySet(), e);
    }
  }

  /**
   * The cluster's topic names; a cluster that does not answer within {@link
   * TopicUnavailableException#ANSWER_SECONDS} is a {@link TopicUnavailableException} (servers retry
   * on it).
   */
  private static Set<String> listTopics(Admin admin)
      throws InterruptedException, ExecutionException {
    try {
      return admin
          .listTopics()
          .names()
          .get(TopicUnavailableException.ANSWER_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException | ExecutionException e) {
      if (e instanceof ExecutionException
          && !(e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException)) {
        throw (ExecutionException) e;
      }
      throw new TopicUnavailableException(TopicUnavailableException.unreachable(null));
    }
  }

  /**
   * Validates and describes, retrying while just-created topics propagate to the metadata, until
   * every partition is served by its leader (see {@link #awaitServed}).
   */
  private static TopicDescription describeWhenLed(
      Admin admin, Topics topics, Collection<String> names)
      throws InterruptedException, ExecutionException, TimeoutException {
    Map<String, TopicDescription> described = awaitServed(admin, names);
    validate(admin, topics);
    return described.get(topics.logins());
  }

  /**
   * Waits until every partition of {@code names} has a leader that serves it, and describes them. A
   * just-created partition can have a leader in the metadata before that broker has opened it: an
   * idempotent producer's first batch then fails (NOT_LEADER_OR_FOLLOWER) while its later batches
   * land, and the retried first batch meets OUT_OF_ORDER_SEQUENCE until its delivery timeout, so
   * those records are lost (seen with Kafka 4.4 on one broker). A list-offsets request, which only
   * a leader that has opened the partition answers, shows it is ready; the admin client retries it
   * while the leader is not.
   */
  public static Map<String, TopicDescription> awaitServed(Admin admin, Collection<String> names)
      throws InterruptedException, ExecutionException, TimeoutException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        Map<String, TopicDescription> described =
            admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
        boolean led =
            described.values().stream()
                .flatMap(d -> d.partitions().stream())
                .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
        if (led) {
          awaitLeadersServe(admin, described);
          return described;
        }
        if (System.nanoTime() > deadline) {
          LOG.warn("partitions of {} still have no leader after 30 s; going on", names);
          return described;
        }
        Thread.sleep(50);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
            || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }

  /** A list-offsets answer from every partition's leader; a warning, not a failure, if none. */
  private static void awaitLeadersServe(Admin admin, Map<String, TopicDescription> described)
      throws InterruptedException {
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    described.forEach(
        (name, d) ->
            d.partitions()
                .forEach(
                    p -> latest.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
    try {
      admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // start-up goes on, as it did before this check: clients retry by themselves, only a
      // producer's very first batches risk what awaitServed describes
      LOG.warn(
          "leaders of {} did not answer a list-offsets request: {}",
          described.keySet(),
          e.toString());
    }
  }

  private static void validate(Admin admin, Topics topics)
      throws InterruptedException, ExecutionException, TimeoutException {
    Map<ConfigResource, String> resources = new HashMap<>();
    for (String t : List.of(topics.logins(), topics.grants())) {
      resources.put(new ConfigResource(ConfigResource.Type.TOPIC, t), t);
    }
    Map<ConfigResource, Config> configs =
        admin.describeConfigs(resources.keySet()).all().get(30, TimeUnit.SECONDS);
    String grantsPolicy =
        policy(configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topics.grants())));
    if (!grantsPolicy.contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
      throw new TopicConfigException(
          "topic "
              + topics.grants()
              + " has cleanup.policy="
              + grantsPolicy
              + " but must be compacted, or dead grants pile up and edges read every grant ever"
              + " made; fix it with: kafka-configs.sh --bootstrap-server ... --alter --entity-type"
              + " topics --entity-name "
              + topics.grants()
              + " --add-config cleanup.policy=compact");
    }
    String loginsPolicy =
        policy(configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topics.logins())));
    if (loginsPolicy.contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
      throw new TopicConfigException(
          "topic "
              + topics.logins()
              + " has cleanup.policy="
              + loginsPolicy
              + ": compaction would delete the login history the audit needs; set"
              + " cleanup.policy=delete with a long retention.ms (e.g. 400 days)");
    }
  }

  private static String policy(Config config) {
    ConfigEntry entry = config == null ? null : config.get(TopicConfig.CLEANUP_POLICY_CONFIG);
    return entry == null || entry.value() == null ? "delete" : entry.value();
  }
}
