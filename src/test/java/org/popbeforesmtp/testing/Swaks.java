package org.popbeforesmtp.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A swaks run against a real MTA on loopback: from {@code source} (a 127.0.0.0/8 address), relaying
 * to example.net, stopping after RCPT so nothing is ever queued.
 *
 * @param exitCode 0 accepted, 24 refused at RCPT
 * @param transcript the SMTP dialogue
 */
public record Swaks(int exitCode, String transcript) {

  /** True when the MTA accepted the foreign recipient ({@code 250 2.1.5}). */
  public boolean accepted() {
    return exitCode == 0 && transcript.contains("250 2.1.5");
  }

  public static Swaks relay(int smtpPort, String source) throws IOException, InterruptedException {
    Process swaks =
        new ProcessBuilder(
                "/usr/bin/swaks",
                "--server",
                "127.0.0.1:" + smtpPort,
                "--local-interface",
                source,
                "--from",
                "sender@example.org",
                "--to",
                "someone@example.net",
                "--helo",
                "client.test",
                "--quit-after",
                "RCPT",
                "--timeout",
                "20")
            .redirectErrorStream(true)
            .start();
    String out = new String(swaks.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!swaks.waitFor(60, TimeUnit.SECONDS)) {
      swaks.destroyForcibly();
      throw new IllegalStateException("swaks hung: " + out);
    }
    return new Swaks(swaks.exitValue(), out);
  }
}
