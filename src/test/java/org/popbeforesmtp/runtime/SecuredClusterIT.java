package org.popbeforesmtp.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.testing.AppConfigs;
import org.popbeforesmtp.testing.Commands;
import org.popbeforesmtp.testing.KafkaBroker;

/**
 * Least privilege on a cluster with SASL/SCRAM-SHA-512 over TLS and ACLs enforced: each component
 * works with exactly the ACLs the README gives it (processor, edge, writer for ingest/tail/publish,
 * auditor), and an edge's credentials can neither write relay.grants nor read mail.logins.
 */
class SecuredClusterIT {
  private static final String STORE_PASSWORD = "test-store-secret";

  @TempDir Path dir;

  @Test
  void everyComponentWorksWithExactlyItsAclsAndNoMore() throws Exception {
    Path keystore = dir.resolve("broker.p12");
    Path truststore = dir.resolve("truststore.p12");
    certificates(keystore, truststore);
    try (LocalCluster cluster =
        LocalCluster.start(
            dir.resolve("cluster"), 3, new LocalCluster.Security(keystore, STORE_PASSWORD))) {
      Topics topics = Topics.defaults();
      String appId = "pop-before-smtp-secured";
      try (Admin admin = cluster.admin()) {
        TopicProvisioner.ensure(admin, topics, 3, 3);
        List<UserScramCredentialUpsertion> users = new ArrayList<>();
        for (String user : List.of("processor", "edge", "writer", "auditor")) {
          users.add(
              new UserScramCredentialUpsertion(
                  user,
                  new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192),
                  user + "-password"));
        }
        admin.alterUserScramCredentials(new ArrayList<>(users)).all().get(30, TimeUnit.SECONDS);
        admin.createAcls(acls(topics, appId)).all().get(30, TimeUnit.SECONDS);
      }
      String registryUrl = "mock://" + KafkaBroker.unique("secured");
      String bootstrap = cluster.clientBootstrapServers();

      try (ProcessorApp processor =
              ProcessorApp.start(
                  AppConfigs.processor(
                      bootstrap,
                      registryUrl,
                      appId,
                      dir.resolve("state"),
                      Map.of("partitions", "3"),
                      client("processor", truststore)));
          EdgeApp edge =
              EdgeApp.start(
                  AppConfigs.edge(
                      bootstrap, registryUrl, topics.grants(), client("edge", truststore)))) {
        await()
            .atMost(Duration.ofSeconds(90))
            .until(() -> processor.isReady() && edge.cache().isReady());

        // the writer publishes (as ingest, tail and publish do); the grant reaches the edge
        Commands.publish(
            bootstrap,
            registryUrl,
            "alice",
            "203.0.113.5",
            Commands.kafkaFlags(client("writer", truststore)));
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> edge.cache().check("203.0.113.5").granted());

        // the auditor reads the history
        List<String> audit =
            new ArrayList<>(
                List.of(
                    "audit",
                    "ip",
                    "203.0.113.5",
                    "--at",
                    "now",
                    "--bootstrap-servers",
                    bootstrap,
                    "--schema-registry-url",
                    registryUrl));
        audit.addAll(List.of(Commands.kafkaFlags(client("auditor", truststore))));
        assertThat(Commands.run(audit.toArray(String[]::new))).contains("alice");

        // an edge's credentials: no writing grants, no reading logins
        Properties edgeClient = new Properties();
        edgeClient.putAll(client("edge", truststore));
        edgeClient.put("bootstrap.servers", bootstrap);
        edgeClient.put("max.block.ms", "10000");
        try (KafkaProducer<byte[], byte[]> forge =
            new KafkaProducer<>(edgeClient, new ByteArraySerializer(), new ByteArraySerializer())) {
          assertThatThrownBy(
                  () ->
                      forge
                          .send(
                              new ProducerRecord<>(topics.grants(), "x".getBytes(), "y".getBytes()))
                          .get(20, TimeUnit.SECONDS))
              .hasCauseInstanceOf(AuthorizationException.class);
        }
        try (KafkaConsumer<byte[], byte[]> snoop =
            new KafkaConsumer<>(
                edgeClient, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
          snoop.assign(List.of(new TopicPartition(topics.logins(), 0)));
          snoop.seekToBeginning(snoop.assignment());
          assertThatThrownBy(() -> snoop.poll(Duration.ofSeconds(10)))
              .isInstanceOf(TopicAuthorizationException.class);
        }
        // and a wrong password does not get in at all
        Map<String, String> wrong = new HashMap<>(client("edge", truststore));
        wrong.put("sasl.jaas.config", jaas("edge", "not-the-password"));
        Properties bad = new Properties();
        bad.putAll(wrong);
        bad.put("bootstrap.servers", bootstrap);
        try (Admin intruder = Admin.create(bad)) {
          assertThatThrownBy(() -> intruder.describeCluster().nodes().get(20, TimeUnit.SECONDS))
              .hasCauseInstanceOf(SaslAuthenticationException.class);
        }
        System.out.println(
            "SECURED: processor, edge, writer (publish) and auditor ran on SASL_SSL/SCRAM-SHA-512"
                + " with their ACLs only; the edge's credentials were refused writing "
                + topics.grants()
                + " and reading "
                + topics.logins()
                + "; a wrong password failed authentication");
      }
    }
  }

  /** The ACLs of the README's "Security" section, on these topic names. */
  static List<AclBinding> acls(Topics topics, String appId) {
    List<AclBinding> acls = new ArrayList<>();
    // the processor: its inputs, its outputs, its own internal topics, group and transactions
    allow(
        acls,
        "processor",
        ResourceType.TOPIC,
        topics.logins(),
        PatternType.LITERAL,
        AclOperation.READ,
        AclOperation.DESCRIBE,
        AclOperation.DESCRIBE_CONFIGS);
    allow(
        acls,
        "processor",
        ResourceType.TOPIC,
        topics.revocations(),
        PatternType.LITERAL,
        AclOperation.READ,
        AclOperation.WRITE,
        AclOperation.DESCRIBE,
        AclOperation.DESCRIBE_CONFIGS);
    allow(
        acls,
        "processor",
        ResourceType.TOPIC,
        topics.grants(),
        PatternType.LITERAL,
        AclOperation.WRITE,
        AclOperation.DESCRIBE,
        AclOperation.DESCRIBE_CONFIGS);
    allow(
        acls,
        "processor",
        ResourceType.TOPIC,
        topics.deadLetters(),
        PatternType.LITERAL,
        AclOperation.WRITE,
        AclOperation.DESCRIBE,
        AclOperation.DESCRIBE_CONFIGS);
    allow(acls, "processor", ResourceType.TOPIC, appId, PatternType.PREFIXED, AclOperation.ALL);
    allow(acls, "processor", ResourceType.GROUP, appId, PatternType.PREFIXED, AclOperation.ALL);
    allow(
        acls,
        "processor",
        ResourceType.TRANSACTIONAL_ID,
        appId,
        PatternType.PREFIXED,
        AclOperation.ALL);
    // the edge reads grants; writers write logins; the auditor reads history
    allow(
        acls,
        "edge",
        ResourceType.TOPIC,
        topics.grants(),
        PatternType.LITERAL,
        AclOperation.READ,
        AclOperation.DESCRIBE);
    allow(
        acls,
        "writer",
        ResourceType.TOPIC,
        topics.logins(),
        PatternType.LITERAL,
        AclOperation.WRITE,
        AclOperation.DESCRIBE);
    allow(
        acls,
        "auditor",
        ResourceType.TOPIC,
        topics.logins(),
        PatternType.LITERAL,
        AclOperation.READ,
        AclOperation.DESCRIBE);
    allow(
        acls,
        "auditor",
        ResourceType.TOPIC,
        topics.revocations(),
        PatternType.LITERAL,
        AclOperation.READ,
        AclOperation.DESCRIBE);
    return acls;
  }

  private static void allow(
      List<AclBinding> acls,
      String user,
      ResourceType type,
      String name,
      PatternType pattern,
      AclOperation... operations) {
    for (AclOperation op : operations) {
      acls.add(
          new AclBinding(
              new ResourcePattern(type, name, pattern),
              new AccessControlEntry("User:" + user, "*", op, AclPermissionType.ALLOW)));
    }
  }

  /** Kafka client settings of {@code user} on the SASL_SSL listener. */
  private static Map<String, String> client(String user, Path truststore) {
    Map<String, String> c = new HashMap<>();
    c.put("security.protocol", "SASL_SSL");
    c.put("sasl.mechanism", "SCRAM-SHA-512");
    c.put("sasl.jaas.config", jaas(user, user + "-password"));
    c.put("ssl.truststore.location", truststore.toString());
    c.put("ssl.truststore.password", STORE_PASSWORD);
    c.put("ssl.truststore.type", "PKCS12");
    return c;
  }

  private static String jaas(String user, String password) {
    return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
        + user
        + "\" password=\""
        + password
        + "\";";
  }

  /** A self-signed certificate for 127.0.0.1 (keytool), and a truststore holding it. */
  private void certificates(Path keystore, Path truststore) throws Exception {
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Path cert = dir.resolve("broker.crt");
    run(
        keytool,
        "-genkeypair",
        "-alias",
        "broker",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-validity",
        "2",
        "-dname",
        "CN=127.0.0.1",
        "-ext",
        "SAN=IP:127.0.0.1",
        "-keystore",
        keystore.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        STORE_PASSWORD,
        "-keypass",
        STORE_PASSWORD);
    run(
        keytool,
        "-exportcert",
        "-alias",
        "broker",
        "-keystore",
        keystore.toString(),
        "-storepass",
        STORE_PASSWORD,
        "-file",
        cert.toString());
    run(
        keytool,
        "-importcert",
        "-noprompt",
        "-alias",
        "broker",
        "-file",
        cert.toString(),
        "-keystore",
        truststore.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        STORE_PASSWORD);
  }

  private static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
    }
  }
}
