package org.popbeforesmtp.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.testing.KafkaBroker;

@ExtendWith(KafkaBroker.class)
class TopicProvisionerIT {

  private static Admin admin() {
    return Admin.create(
        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.bootstrapServers()));
  }

  @Test
  void shouldCreateTheTopicsWithTheirConfigs() throws Exception {
    Topics topics = Topics.defaults().withPrefix(KafkaBroker.unique("prov") + ".");
    try (Admin admin = admin()) {
      assertThat(TopicProvisioner.ensure(admin, topics, 3, -1)).isEqualTo(3);
      assertThat(TopicProvisioner.ensure(admin, topics, 3, -1)).as("idempotent").isEqualTo(3);
      var grants = new ConfigResource(ConfigResource.Type.TOPIC, topics.grants());
      var logins = new ConfigResource(ConfigResource.Type.TOPIC, topics.logins());
      var configs = admin.describeConfigs(List.of(grants, logins)).all().get(30, TimeUnit.SECONDS);
      assertThat(configs.get(grants).get("cleanup.policy").value()).isEqualTo("compact");
      assertThat(configs.get(grants).get("delete.retention.ms").value()).isEqualTo("60000");
      assertThat(configs.get(logins).get("retention.ms").value()).isEqualTo("34560000000");
      assertThat(
              admin
                  .describeTopics(List.of(topics.revocations()))
                  .allTopicNames()
                  .get()
                  .get(topics.revocations())
                  .partitions())
          .hasSize(1);
    }
  }

  @Test
  void shouldRefuseANonCompactedGrantsTopicSayingHowToFixIt() throws Exception {
    Topics topics = Topics.defaults().withPrefix(KafkaBroker.unique("prov") + ".");
    try (Admin admin = admin()) {
      admin
          .createTopics(List.of(new NewTopic(topics.grants(), Optional.of(1), Optional.empty())))
          .all()
          .get(30, TimeUnit.SECONDS);
      assertThatThrownBy(() -> TopicProvisioner.ensure(admin, topics, 1, -1))
          .isInstanceOf(TopicProvisioner.TopicConfigException.class)
          .hasMessageContaining(topics.grants())
          .hasMessageContaining("cleanup.policy=delete")
          .hasMessageContaining("--add-config cleanup.policy=compact");
    }
  }

  @Test
  void shouldUseTheExistingPartitionCountOfTheLoginsTopic() throws Exception {
    Topics topics = Topics.defaults().withPrefix(KafkaBroker.unique("prov") + ".");
    try (Admin admin = admin()) {
      admin
          .createTopics(List.of(new NewTopic(topics.logins(), Optional.of(5), Optional.empty())))
          .all()
          .get(30, TimeUnit.SECONDS);
      assertThat(TopicProvisioner.ensure(admin, topics, 12, -1)).isEqualTo(5);
    }
  }
}
