package org.popbeforesmtp.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The README shows the mail-server lines exactly as {@link ConfigSnippets} makes them (which {@code
 * dev} prints and the end-to-end tests run Postfix, sendmail, Exim and Dovecot with), for the
 * default ports.
 */
class ConfigSnippetsTest {
  @Test
  void readmeShowsTheLinesTheTestsRun() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    for (String line : ConfigSnippets.postfixPolicy("127.0.0.1", 10040)) {
      assertThat(readme).contains("    " + line + "\n");
    }
    for (String line : ConfigSnippets.postfixSocketmap("127.0.0.1", 10041)) {
      assertThat(readme).contains("    " + line + "\n");
    }
    for (String line : ConfigSnippets.sendmailHack("127.0.0.1", 10041)) {
      assertThat(readme).contains("    " + line + "\n");
    }
    for (String line : ConfigSnippets.eximAcl("127.0.0.1", 9876)) {
      assertThat(readme).contains("    " + line + "\n");
    }
    for (String line :
        ConfigSnippets.dovecot(
            "http://127.0.0.1:8081/v1/dovecot-policy", "<a long random string>")) {
      assertThat(readme).contains("    " + line + "\n");
    }
  }
}
