package org.popbeforesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.config.Topics;
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
}
