package org.popbeforesmtp.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.popbeforesmtp.config.ConfigSources;
import org.popbeforesmtp.config.IngestConfig;
import org.popbeforesmtp.config.ShipperConfig;
import org.popbeforesmtp.text.Setting;

/**
 * The settings each login-shipping command ({@code tail}, {@code import}, {@code publish}) has
 * flags for, and how it reads them: like the servers, defaults &lt; {@code --config} file &lt;
 * {@code PBS_*} &lt; flags.
 */
final class ShipperOptions {
  private ShipperOptions() {}

  /** What the log readers ({@code tail}, {@code import}) share. */
  private static final List<Setting> LOG_READERS =
      ConfigSources.concat(
          ConfigSources.CLUSTER,
          List.of(ShipperConfig.LOGINS_TOPIC, IngestConfig.SERVER_ID, ShipperConfig.ZONE));

  static final List<Setting> TAIL =
      ConfigSources.concat(
          LOG_READERS,
          List.of(
              ShipperConfig.STATE_DIR.shown(
                  "`/var/lib/pop-before-smtp/tail` as root (or where writable), else"
                      + " `~/.local/state/pop-before-smtp/tail`"),
              ShipperConfig.POLL_INTERVAL));

  static final List<Setting> IMPORT =
      ConfigSources.concat(
          LOG_READERS, List.of(ShipperConfig.STATE_DIR.withDefault(".pop-before-smtp-import")));

  static final List<Setting> PUBLISH =
      ConfigSources.concat(
          ConfigSources.CLUSTER,
          List.of(
              ShipperConfig.LOGINS_TOPIC,
              IngestConfig.SERVER_ID
                  .withDefault("cli")
                  .withAliases("--server")
                  .withMeaning(
                      "id of the server the login happened on, as `tail` and `import` call it")));

  /**
   * The settings of a command that declares {@code declared}: their defaults (a command's own, such
   * as publish's server id, over the shippers'), the file, the environment, then {@code flags}.
   */
  static ShipperConfig config(
      ClusterOptions cluster,
      List<Setting> declared,
      Map<String, String> env,
      Map<String, String> flags) {
    Map<String, String> defaults = new LinkedHashMap<>(ShipperConfig.DEFAULTS);
    defaults.putAll(Setting.defaults(declared));
    return ShipperConfig.from(cluster.load(ShipperConfig.SETTINGS, defaults, env, flags));
  }
}
