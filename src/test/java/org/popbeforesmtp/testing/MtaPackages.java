package org.popbeforesmtp.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the tests find sendmail and Exim. Debian cannot install either next to Postfix (all three
 * provide the MTA), so {@code .ci/mta-packages} downloads their Debian packages and unpacks them
 * with {@code dpkg -x} under one directory ({@code PBS_TEST_MTA_DIR}, default {@value #DEFAULT}),
 * and the tests run the binaries from there with configs of their own.
 */
public final class MtaPackages {
  public static final String DEFAULT = "/opt/pop-before-smtp-test-mta";

  private MtaPackages() {}

  public static Path root() {
    String dir = System.getenv("PBS_TEST_MTA_DIR");
    return Path.of(dir == null || dir.isBlank() ? DEFAULT : dir);
  }

  /** sendmail's binary. */
  public static Path sendmail() {
    return root().resolve("sendmail/usr/libexec/sendmail/sendmail");
  }

  /** sendmail's m4 configuration tree (cf.m4, feature/, hack/, ...). */
  public static Path sendmailCf() {
    return root().resolve("sendmail/usr/share/sendmail/cf");
  }

  /** Exim's binary. */
  public static Path exim() {
    return root().resolve("exim/usr/sbin/exim4");
  }

  /** What to run when they are missing. */
  public static String howToInstall() {
    return "sendmail and Exim are not unpacked under "
        + root()
        + ": run .ci/mta-packages (it needs apt-get and m4)";
  }

  public static boolean sendmailInstalled() {
    return Files.isExecutable(sendmail())
        && Files.isDirectory(sendmailCf())
        && Files.isExecutable(Path.of("/usr/bin/m4"))
        && Files.isExecutable(Path.of("/usr/bin/swaks"));
  }

  public static boolean eximInstalled() {
    return Files.isExecutable(exim());
  }
}
