package org.popbeforesmtp.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneId;
import org.popbeforesmtp.ingest.LogFollower;
import org.popbeforesmtp.ingest.LoginLogParser;

/** How {@code tail} and {@code import} read server logs and keep their checkpoints. */
final class LogOptions {
  private LogOptions() {}

  /** The parser of log lines whose timestamps without an offset are in {@code zone}. */
  static LoginLogParser parser(ZoneId zone) {
    return new LoginLogParser(zone, Clock.systemUTC());
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
