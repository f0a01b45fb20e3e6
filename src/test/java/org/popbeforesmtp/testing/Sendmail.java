package org.popbeforesmtp.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.popbeforesmtp.runtime.ConfigSnippets;

/**
 * A real sendmail 8.17 (Debian's packages, unpacked: {@link MtaPackages}) on loopback with its own
 * {@code -C} configuration: generated with m4 from {@code /sendmail/sendmail.mc} and the shipped
 * hack {@code deploy/sendmail/popbeforesmtp.m4}, installed into a copy of sendmail's cf tree as a
 * user would. It queues (never delivers) and runs as a foreground daemon ({@code -bD}) in a UTS
 * namespace of its own whose host name is fully qualified (else sendmail sleeps a minute trying to
 * qualify it).
 */
public final class Sendmail implements AutoCloseable {
  private final Path base;
  private final Process process;
  public final int smtpPort;

  private Sendmail(Path base, Process process, int smtpPort) {
    this.base = base;
    this.process = process;
    this.smtpPort = smtpPort;
  }

  public static Sendmail start(Path base, int socketmapPort)
      throws IOException, InterruptedException {
    Files.createDirectories(base.resolve("queue"));
    for (String empty : new String[] {"statistics", "aliases", "local-host-names"}) {
      Files.writeString(base.resolve(empty), "");
    }
    Files.writeString(base.resolve("service.switch"), "hosts files\naliases files\n");
    Files.writeString(base.resolve("hosts"), "127.0.0.1 localhost mail.test\n");
    Path cf = base.resolve("cf");
    copyTree(MtaPackages.sendmailCf(), cf);
    Files.copy(
        Path.of("deploy/sendmail/popbeforesmtp.m4"),
        cf.resolve("hack/popbeforesmtp.m4"),
        StandardCopyOption.REPLACE_EXISTING);
    int smtp = LoopbackPorts.free();
    String mc;
    try (InputStream in = Sendmail.class.getResourceAsStream("/sendmail/sendmail.mc")) {
      mc = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    mc =
        mc.replace("@BASE@", base.toString())
            .replace("@SMTP_PORT@", Integer.toString(smtp))
            .replace(
                "@HACK@",
                String.join("\n", ConfigSnippets.sendmailHack("127.0.0.1", socketmapPort)));
    Files.writeString(base.resolve("test.mc"), mc);
    Process m4 =
        new ProcessBuilder(
                "/usr/bin/m4", "-D_CF_DIR_=" + cf + "/", cf + "/m4/cf.m4", base + "/test.mc")
            .redirectOutput(base.resolve("sendmail.cf").toFile())
            .redirectError(base.resolve("m4.err").toFile())
            .start();
    if (m4.waitFor() != 0) {
      throw new IllegalStateException("m4 failed: " + Files.readString(base.resolve("m4.err")));
    }
    Process process =
        new ProcessBuilder(
                "unshare",
                "--uts",
                "sh",
                "-c",
                "hostname mail.test && exec \"$0\" -C \"$1\" -bD",
                MtaPackages.sendmail().toString(),
                base.resolve("sendmail.cf").toString())
            .redirectErrorStream(true)
            .redirectOutput(base.resolve("sendmail.out").toFile())
            .start();
    Sendmail sendmail = new Sendmail(base, process, smtp);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!LoopbackPorts.listening(smtp)) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        sendmail.close();
        throw new IllegalStateException(
            "sendmail did not start: " + Files.readString(base.resolve("sendmail.out")));
      }
      Thread.sleep(100);
    }
    return sendmail;
  }

  /** swaks from {@code source} through this sendmail ({@link Swaks}). */
  public Swaks relay(String source) throws IOException, InterruptedException {
    return Swaks.relay(smtpPort, source);
  }

  /** What sendmail wrote to its output (errors at start; it logs to syslog otherwise). */
  public String output() throws IOException {
    return Files.readString(base.resolve("sendmail.out"));
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      files.forEach(
          p -> {
            try {
              Path target = to.resolve(from.relativize(p).toString());
              if (Files.isDirectory(p)) {
                Files.createDirectories(target);
              } else {
                Files.copy(p, target);
              }
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
    }
  }
}
