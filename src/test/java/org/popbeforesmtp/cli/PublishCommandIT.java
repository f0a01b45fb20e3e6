package org.popbeforesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.runtime.TopicProvisioner;
import org.popbeforesmtp.testing.Commands;
import org.popbeforesmtp.testing.KafkaBroker;

/** {@code publish} against a real broker when the schema registry does not answer. */
@ExtendWith(KafkaBroker.class)
class PublishCommandIT {
  @Test
  void shouldSayInOneLineThatTheRegistryCannotBeReached() throws Exception {
    Topics topics = Topics.defaults().withPrefix(KafkaBroker.unique("publish") + ".");
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", KafkaBroker.bootstrapServers()))) {
      TopicProvisioner.ensure(admin, topics, 1, -1);
    }
    String registry = "http://127.0.0.1:" + closedPort();
    Commands.Result r =
        Commands.execute(
            "publish",
            "--bootstrap-servers",
            KafkaBroker.bootstrapServers(),
            "--schema-registry-url",
            registry,
            "--topic",
            topics.logins(),
            "--user",
            "alice",
            "--ip",
            "192.0.2.1");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().strip())
        .startsWith("error: cannot get a schema id for org.popbeforesmtp.avro.LoginEvent")
        .contains("schema registry " + registry)
        .contains("unreachable")
        .doesNotContain("\tat ");
  }

  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
