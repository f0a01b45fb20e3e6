package org.popbeforesmtp.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.popbeforesmtp.runtime.ConfigSnippets;

/**
 * A real Exim 4.96 (Debian's exim4-daemon-light, unpacked: {@link MtaPackages}) with its own {@code
 * -C} configuration from {@code /exim/exim.conf} and the README's ACL lines ({@link
 * ConfigSnippets#eximAcl}). Each check is a host-checking session ({@code exim -bh <ip>}): Exim
 * runs its ACLs, readsocket included, for an SMTP dialogue as if from that address, and delivers
 * nothing.
 */
public final class Exim {
  private final Path config;

  private Exim(Path config) {
    this.config = config;
  }

  public static Exim configure(Path base, int whosonPort) throws IOException {
    // Exim writes its spool and log as its own user (Debian-exim): it must reach and own them (a
    // JUnit temp dir is 0700)
    var users = base.getFileSystem().getUserPrincipalLookupService();
    for (String dir : new String[] {"spool", "log"}) {
      Files.setOwner(
          Files.createDirectories(base.resolve(dir)), users.lookupPrincipalByName("Debian-exim"));
    }
    for (Path p = base; p != null && !p.equals(base.getParent().getParent()); p = p.getParent()) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    String conf;
    try (InputStream in = Exim.class.getResourceAsStream("/exim/exim.conf")) {
      conf = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    StringBuilder acl = new StringBuilder();
    for (String line : ConfigSnippets.eximAcl("127.0.0.1", whosonPort)) {
      acl.append(acl.isEmpty() ? "" : "\n").append("  ").append(line);
    }
    conf = conf.replace("@BASE@", base.toString()).replace("@ACL@", acl);
    Path config = base.resolve("exim.conf");
    Files.writeString(config, conf);
    return new Exim(config);
  }

  /**
   * Exim's reply to {@code RCPT TO:<someone@example.net>} from {@code client} (e.g. "250 Accepted",
   * "550 relay not permitted", "451 relay check unavailable, ..."), with the whole session as the
   * message of any failure.
   */
  public String rcptReply(String client) throws IOException, InterruptedException {
    Process exim =
        new ProcessBuilder(MtaPackages.exim().toString(), "-C", config.toString(), "-bh", client)
            .redirectErrorStream(true)
            .start();
    try (OutputStream in = exim.getOutputStream()) {
      in.write(
          ("HELO client.test\r\nMAIL FROM:<sender@example.org>\r\n"
                  + "RCPT TO:<someone@example.net>\r\nQUIT\r\n")
              .getBytes(StandardCharsets.US_ASCII));
    }
    String out = new String(exim.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!exim.waitFor(30, TimeUnit.SECONDS)) {
      exim.destroyForcibly();
      throw new IllegalStateException("exim -bh hung: " + out);
    }
    // the replies in order: 220 greeting, 250 HELO, 250 MAIL, then RCPT's
    String[] replies =
        out.lines().filter(l -> l.matches("^[2-5][0-9][0-9] .*")).toArray(String[]::new);
    if (replies.length < 4) {
      throw new IllegalStateException("no RCPT reply from exim -bh " + client + ":\n" + out);
    }
    return replies[3];
  }
}
