package org.popbeforesmtp.cli;

import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneId;
import org.popbeforesmtp.ingest.LogFollower;
import org.popbeforesmtp.ingest.LoginLogParser;
import picocli.CommandLine.Option;

/** How {@code tail} and {@code import} read server logs. */
final class LogOptions {
  @Option(
      names = "--server-id",
      required = true,
      description = "Name of the mail server whose log this is.")
  String serverId;

  @Option(
      names = "--zone",
      defaultValue = "UTC",
      description = "Zone of timestamps without an offset (default ${DEFAULT-VALUE}).")
  String zone;

  LoginLogParser parser() {
    return new LoginLogParser(ZoneId.of(zone), Clock.systemUTC());
  }

  /** A follower of {@code file} with its checkpoint in {@code stateDir} (one per absolute path). */
  static LogFollower follower(Path stateDir, Path file) {
    String name = file.toAbsolutePath().normalize().toString().replace('/', '_');
    return new LogFollower(file, stateDir.resolve(name + ".checkpoint"));
  }
}
