package org.popbeforesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.ingest.LogShipper;
import org.popbeforesmtp.ingest.LoginLogParser;
import org.popbeforesmtp.ingest.LoginPublisher;
import org.popbeforesmtp.registry.SerdeConfig;
import org.popbeforesmtp.runtime.TopicProvisioner;
import org.popbeforesmtp.testing.KafkaBroker;

/** {@code import} through the command line: publishes the logins, and a second run resumes. */
@ExtendWith(KafkaBroker.class)
class ImportCommandIT {
  @TempDir Path dir;

  private String run(String... args) {
    StringWriter out = new StringWriter();
    picocli.CommandLine cli = RootCommand.newCommandLine();
    cli.setOut(new PrintWriter(out));
    assertThat(cli.execute(args)).as(out.toString()).isZero();
    return out.toString();
  }

  @Test
  void shouldImportLoginsOnceAndResume() throws Exception {
    Topics topics = Topics.defaults().withPrefix(KafkaBroker.unique("import") + ".");
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", KafkaBroker.bootstrapServers()))) {
      TopicProvisioner.ensure(admin, topics, 1, -1);
    }
    Path log = dir.resolve("mail.log");
    Files.writeString(
        log,
        "Nov 26 12:20:01 mail1 dovecot: imap-login: Login: user=<bob>, method=PLAIN, rip=2001:db8::7,"
            + " lip=2001:db8::1, mpid=991, session=<abc123>\n"
            + "Nov 26 12:20:05 mail1 postfix/smtpd[123]: connect from unknown[203.0.113.5]\n"
            + "Nov 26 12:22:00 mail2 courierpop3login: LOGIN, user=dave, ip=[::ffff:203.0.113.5],"
            + " port=[41234]\n");
    String[] args = {
      "import",
      "--bootstrap-servers",
      KafkaBroker.bootstrapServers(),
      "--schema-registry-url",
      "mock://" + KafkaBroker.unique("import"),
      "--topic",
      topics.logins(),
      "--server-id",
      "mail1",
      "--state-dir",
      dir.resolve("state").toString(),
      log.toString()
    };

    assertThat(run(args))
        .contains("3 lines, 2 logins published, 1 other lines")
        .contains("imported 2 logins");
    assertThat(run(args)).as("resumed: nothing again").contains("imported 0 logins");
  }

  @Test
  void shouldShipLinesPipedOnStdin() throws Exception {
    Topics topics = Topics.defaults().withPrefix(KafkaBroker.unique("stdin") + ".");
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", KafkaBroker.bootstrapServers()))) {
      TopicProvisioner.ensure(admin, topics, 1, -1);
    }
    Properties props = new Properties();
    props.put("bootstrap.servers", KafkaBroker.bootstrapServers());
    String piped =
        "Nov 26 12:23:00 mail3 pop3[4242]: login: client.example.net [192.0.2.44] erin plaintext\n"
            + "garbage\n"
            + "Nov 26 12:24:00 mail4 ipop3d[555]: Login user=frank host=dyn-50.example.net [192.0.2.50] nmsgs=3/3\n";
    try (LoginPublisher publisher =
            new LoginPublisher(
                props,
                topics.logins(),
                SerdeConfig.of("mock://" + KafkaBroker.unique("s")).newClient(),
                10,
                Duration.ofSeconds(30));
        LogShipper shipper =
            new LogShipper(
                List.of(),
                new LoginLogParser(ZoneOffset.UTC, Clock.systemUTC()),
                publisher,
                "mail3")) {
      TailCommand.shipStream(new BufferedReader(new StringReader(piped)), shipper);
      assertThat(shipper.lines()).isEqualTo(3);
      assertThat(shipper.logins()).isEqualTo(2);
      assertThat(publisher.published()).isEqualTo(2);
    }
  }
}
