package org.popbeforesmtp.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.ZoneId;
import org.popbeforesmtp.config.Hosts;
import org.popbeforesmtp.ingest.LogFollower;
import org.popbeforesmtp.ingest.LoginLogParser;
import picocli.CommandLine.Option;

/** How {@code tail} and {@code import} read server logs. */
final class LogOptions {
  @Option(
      names = "--server-id",
      description = "Name of the mail server whose log this is (default: this host's name).")
  String serverId;

  @Option(
      names = "--zone",
      description =
          "Zone of timestamps without an offset, as syslog writes them (default: this system's"
              + " zone).")
  String zone;

  /** The server id given, or this host's name. */
  String serverId() {
    return serverId == null || serverId.isBlank() ? Hosts.localName() : serverId;
  }

  LoginLogParser parser() {
    ZoneId id;
    try {
      id = zone == null ? ZoneId.systemDefault() : ZoneId.of(zone);
    } catch (DateTimeException e) {
      throw new IllegalArgumentException(
          "--zone '" + zone + "' is not a time zone: use e.g. UTC, Europe/Berlin or +02:00");
    }
    return new LoginLogParser(id, Clock.systemUTC());
  }

  /**
   * Where a command keeps its checkpoints by default: {@code /var/lib/pop-before-smtp/<command>}
   * for root or where that directory is writable, else the user's state directory ({@code
   * $XDG_STATE_HOME}, or {@code ~/.local/state}) {@code /pop-before-smtp/<command>}.
   */
  static Path defaultStateDir(String command) {
    Path system = Path.of("/var/lib/pop-before-smtp");
    boolean root = "root".equals(System.getProperty("user.name"));
    if (root || Files.isWritable(system)) {
      return system.resolve(command);
    }
    String xdg = System.getenv("XDG_STATE_HOME");
    Path base =
        xdg != null && !xdg.isBlank()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".local", "state");
    return base.resolve("pop-before-smtp").resolve(command);
  }

  /** A follower of {@code file} with its checkpoint in {@code stateDir} (one per absolute path). */
  static LogFollower follower(Path stateDir, Path file) {
    String name = file.toAbsolutePath().normalize().toString().replace('/', '_');
    return new LogFollower(file, stateDir.resolve(name + ".checkpoint"));
  }
}
