package org.popbeforesmtp.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.popbeforesmtp.runtime.ConfigSnippets;

/**
 * A real Postfix (Debian package) under a config directory of the test's own, on loopback: one
 * smtpd asking the edge's policy server, one asking its socketmap. Started as a foreground child
 * ({@code postfix start-fg}) and stopped with {@code postfix stop}.
 */
public final class Postfix implements AutoCloseable {
  private final Path base;
  private final Process process;
  public final int policySmtpPort;
  public final int socketmapSmtpPort;

  private Postfix(Path base, Process process, int policySmtpPort, int socketmapSmtpPort) {
    this.base = base;
    this.process = process;
    this.policySmtpPort = policySmtpPort;
    this.socketmapSmtpPort = socketmapSmtpPort;
  }

  /** True when the Postfix and swaks binaries are installed. */
  public static boolean installed() {
    return Files.isExecutable(Path.of("/usr/sbin/postfix"))
        && Files.isExecutable(Path.of("/usr/bin/swaks"));
  }

  public static Postfix start(Path base, int policyPort, int socketmapPort)
      throws IOException, InterruptedException {
    int smtpPolicy = LoopbackPorts.free();
    int smtpSocketmap = LoopbackPorts.free();
    Path conf = base.resolve("conf");
    Files.createDirectories(conf);
    Files.createDirectories(base.resolve("run/postfix/spool"));
    Path data = Files.createDirectories(base.resolve("run/postfix/data"));
    // Postfix's daemons run as the postfix user: they must reach these directories (a JUnit
    // temp dir is 0700) and own the data directory
    for (Path p = base.resolve("run/postfix");
        p != null && !p.equals(base.getParent().getParent());
        p = p.getParent()) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    var users = base.getFileSystem().getUserPrincipalLookupService();
    Files.setOwner(data, users.lookupPrincipalByName("postfix"));
    Map<String, String> values =
        Map.of(
            "@BASE@", base.toString(),
            "@POLICY_PORT@", Integer.toString(policyPort),
            "@SOCKETMAP_PORT@", Integer.toString(socketmapPort),
            "@SMTP_POLICY_PORT@", Integer.toString(smtpPolicy),
            "@SMTP_SOCKETMAP_PORT@", Integer.toString(smtpSocketmap),
            "@POLICY_SNIPPET@",
                String.join("\n", ConfigSnippets.postfixPolicy("127.0.0.1", policyPort)),
            // the socketmap variant on the second listener, under the name master.cf uses
            "@SOCKETMAP_SNIPPET@",
                String.join("\n", ConfigSnippets.postfixSocketmap("127.0.0.1", socketmapPort))
                    .replace("smtpd_relay_restrictions", "test_socketmap_restrictions"));
    for (String name : List.of("main.cf", "master.cf")) {
      String text;
      try (InputStream in = Postfix.class.getResourceAsStream("/postfix/" + name)) {
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      for (var e : values.entrySet()) {
        text = text.replace(e.getKey(), e.getValue());
      }
      Files.writeString(conf.resolve(name), text);
    }
    // queue subdirectories with the ownership Postfix wants (as the package's post-install does)
    Process setup =
        new ProcessBuilder(
                "/usr/sbin/postfix", "-c", conf.toString(), "set-permissions", "create-missing")
            .redirectErrorStream(true)
            .start();
    String setupOut = new String(setup.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (setup.waitFor() != 0) {
      throw new IllegalStateException("postfix set-permissions failed: " + setupOut);
    }
    Process process =
        new ProcessBuilder("/usr/sbin/postfix", "-c", conf.toString(), "start-fg")
            .redirectErrorStream(true)
            .redirectOutput(base.resolve("postfix-master.out").toFile())
            .start();
    Postfix postfix = new Postfix(base, process, smtpPolicy, smtpSocketmap);
    boolean up;
    try {
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () ->
                  !process.isAlive()
                      || (LoopbackPorts.listening(smtpPolicy)
                          && LoopbackPorts.listening(smtpSocketmap)));
      up = process.isAlive();
    } catch (ConditionTimeoutException e) {
      up = false;
    }
    if (!up) {
      postfix.close();
      throw new IllegalStateException(
          "Postfix did not start: "
              + Files.readString(base.resolve("postfix-master.out"))
              + log(base));
    }
    return postfix;
  }

  private static String log(Path base) throws IOException {
    Path log = base.resolve("run/postfix.log");
    return Files.exists(log) ? Files.readString(log) : "";
  }

  /** Postfix's own log so far (for assertion messages). */
  public String log() throws IOException {
    return log(base);
  }

  /** swaks from {@code source} through one of this Postfix's smtpd listeners ({@link Swaks}). */
  public Swaks relay(int smtpPort, String source) throws IOException, InterruptedException {
    return Swaks.relay(smtpPort, source);
  }

  @Override
  public void close() throws IOException {
    Process stop =
        new ProcessBuilder("/usr/sbin/postfix", "-c", base.resolve("conf").toString(), "stop")
            .redirectErrorStream(true)
            .start();
    stop.getInputStream().readAllBytes();
    try {
      stop.waitFor(30, TimeUnit.SECONDS);
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
