package org.popbeforesmtp.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.popbeforesmtp.runtime.ConfigSnippets;

/**
 * A real Dovecot (Debian's dovecot-pop3d) with a config of the test's own: POP3 on a free loopback
 * port, passwd-file users (alice/secret, bob/secret), auth-policy reports to a given URL. Started
 * as a foreground child ({@code dovecot -F}).
 */
public final class Dovecot implements AutoCloseable {
  private final Process process;
  private final Path base;
  public final int pop3Port;

  private Dovecot(Process process, Path base, int pop3Port) {
    this.process = process;
    this.base = base;
    this.pop3Port = pop3Port;
  }

  public static boolean installed() {
    return Files.isExecutable(Path.of("/usr/sbin/dovecot"));
  }

  public static Dovecot start(Path base, String policyUrl)
      throws IOException, InterruptedException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path run = Files.createDirectories(base.resolve("run"));
    Files.createDirectories(base.resolve("home/alice"));
    Files.createDirectories(base.resolve("home/bob"));
    // Dovecot's unprivileged processes must reach these directories (a JUnit temp dir is 0700)
    for (Path p = base.resolve("home/alice");
        p != null && p.getNameCount() > 1;
        p = p.getParent()) {
      if (p.startsWith(base) || p.equals(base.getParent())) {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
    }
    Files.setPosixFilePermissions(
        base.resolve("home/bob"), PosixFilePermissions.fromString("rwxr-xr-x"));
    var nobody =
        base.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
    Files.setOwner(base.resolve("home/alice"), nobody);
    Files.setOwner(base.resolve("home/bob"), nobody);
    Files.writeString(
        run.resolve("users"),
        "alice:{PLAIN}secret:65534:65534::"
            + base.resolve("home/alice")
            + "\n"
            + "bob:{PLAIN}secret:65534:65534::"
            + base.resolve("home/bob")
            + "\n");
    String conf;
    try (InputStream in = Dovecot.class.getResourceAsStream("/dovecot/dovecot.conf")) {
      conf = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    conf =
        conf.replace("@BASE@", base.toString())
            .replace("@PORT@", Integer.toString(port))
            .replace(
                "@POLICY_SNIPPET@",
                String.join("\n", ConfigSnippets.dovecot(policyUrl, "pbs-test-nonce-0123456789")));
    Path confFile = base.resolve("dovecot.conf");
    Files.writeString(confFile, conf);
    Process process =
        new ProcessBuilder("/usr/sbin/dovecot", "-F", "-c", confFile.toString())
            .redirectErrorStream(true)
            .redirectOutput(base.resolve("dovecot.out").toFile())
            .start();
    Dovecot dovecot = new Dovecot(process, base, port);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
        if (s.isConnected()) {
          break;
        }
      } catch (IOException e) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          dovecot.close();
          throw new IllegalStateException(
              "Dovecot did not start: "
                  + Files.readString(base.resolve("dovecot.out"))
                  + dovecot.log());
        }
        Thread.sleep(100);
      }
    }
    return dovecot;
  }

  /** Dovecot's log so far. */
  public String log() throws IOException {
    Path log = base.resolve("run/dovecot.log");
    return Files.exists(log) ? Files.readString(log) : "";
  }

  /**
   * A POP3 login from {@code source} (a 127.0.0.0/8 address); true when the server said +OK to
   * PASS.
   */
  public boolean pop3Login(String source, String user, String password) throws IOException {
    try (Socket socket = new Socket()) {
      socket.bind(new InetSocketAddress(source, 0));
      socket.connect(new InetSocketAddress("127.0.0.1", pop3Port), 5000);
      socket.setSoTimeout(20_000);
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      OutputStream out = socket.getOutputStream();
      expectOk(in.readLine());
      out.write(("USER " + user + "\r\n").getBytes(StandardCharsets.US_ASCII));
      expectOk(in.readLine());
      out.write(("PASS " + password + "\r\n").getBytes(StandardCharsets.US_ASCII));
      String reply = in.readLine();
      out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
      return reply != null && reply.startsWith("+OK");
    }
  }

  private static void expectOk(String line) throws IOException {
    if (line == null || !line.startsWith("+OK")) {
      throw new IOException("POP3 server said: " + line);
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
