package org.popbeforesmtp.text;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A setting, declared once: its name (the key of a {@code --config} file), built-in default and
 * meaning. Everything else is made from it: the {@code PBS_*} environment variable, the flag, the
 * flag's help and the README's reference row.
 *
 * @param name e.g. {@code http.port}
 * @param defaultValue the built-in default; empty for none
 * @param flag e.g. {@code --http-port}; empty when the setting has no flag (file and environment
 *     only)
 * @param shown the default as help and the README state it, in Markdown (e.g. {@code `8080`} or
 *     {@code this host's name})
 * @param meaning what it does, one sentence without a final period
 * @param aliases older names of the flag, still accepted
 */
public record Setting(
    String name,
    String defaultValue,
    String flag,
    String shown,
    String meaning,
    List<String> aliases) {
  /** What every setting's environment variable starts with. */
  public static final String ENV_PREFIX = "PBS_";

  /** A setting whose flag is its name with dashes and whose default is shown as it is. */
  public static Setting of(String name, String defaultValue, String meaning) {
    return new Setting(
        name, defaultValue, flagOf(name), shownAsIs(defaultValue), meaning, List.of());
  }

  public Setting {
    aliases = List.copyOf(aliases);
  }

  /** A setting that must be given. */
  public static Setting required(String name, String meaning) {
    return new Setting(name, "", flagOf(name), "(required)", meaning, List.of());
  }

  /** This setting with another flag ({@code ""}: none). */
  public Setting withFlag(String value) {
    return new Setting(name, defaultValue, value, shown, meaning, aliases);
  }

  /** This setting whose flag also answers to {@code older} names. */
  public Setting withAliases(String... older) {
    return new Setting(name, defaultValue, flag, shown, meaning, List.of(older));
  }

  /** The flag and its older names. */
  public String[] flags() {
    String[] all = new String[1 + aliases.size()];
    all[0] = flag;
    for (int i = 0; i < aliases.size(); i++) {
      all[i + 1] = aliases.get(i);
    }
    return all;
  }

  /** This setting with its default stated otherwise (Markdown). */
  public Setting shown(String value) {
    return new Setting(name, defaultValue, flag, value, meaning, aliases);
  }

  /** This setting with another built-in default, shown as it is. */
  public Setting withDefault(String value) {
    return new Setting(name, value, flag, shownAsIs(value), meaning, aliases);
  }

  /** This setting described otherwise (for a command where it means something narrower). */
  public Setting withMeaning(String value) {
    return new Setting(name, defaultValue, flag, shown, value, aliases);
  }

  /** The built-in defaults of {@code settings} by name, in their order. */
  public static Map<String, String> defaults(List<Setting> settings) {
    Map<String, String> d = new LinkedHashMap<>();
    settings.forEach(s -> d.put(s.name(), s.defaultValue()));
    return Collections.unmodifiableMap(d);
  }

  /** The environment variable: {@code http.port} → {@code PBS_HTTP_PORT}. */
  public String env() {
    return envName(name);
  }

  /** The environment variable of a setting name. */
  public static String envName(String name) {
    return ENV_PREFIX + name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  /** Whether it has a flag. */
  public boolean hasFlag() {
    return !flag.isEmpty();
  }

  /** The flag's help: the meaning and the default. */
  public String help() {
    String stated = shown.replace("`", "");
    String when =
        stated.equals("(required)")
            ? "required"
            : "default "
                + (stated.startsWith("(") && stated.endsWith(")")
                    ? stated.substring(1, stated.length() - 1)
                    : stated);
    return capitalized(meaning.replace("`", ""))
        + " ("
        + when
        + (aliases.isEmpty() ? "" : "; " + String.join(", ", aliases) + " is the older name")
        + ").";
  }

  /** Its row of the README's configuration reference. */
  public String readmeRow() {
    return "| `"
        + name
        + "` | `"
        + env()
        + "` | "
        + (hasFlag() ? "`" + flag + "`" : "(none)")
        + (aliases.isEmpty() ? "" : " (`" + String.join("`, `", aliases) + "`, the older name)")
        + " | "
        + shown
        + " | "
        + meaning
        + " |";
  }

  /** The flag of a setting name: {@code http.port} → {@code --http-port}. */
  public static String flagOf(String name) {
    return "--" + name.replace('.', '-');
  }

  /** A default as help and the README state it when it needs no words: in code, or none. */
  private static String shownAsIs(String value) {
    return value.isEmpty() ? "(none)" : "`" + value + "`";
  }

  private static String capitalized(String s) {
    return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }
}
