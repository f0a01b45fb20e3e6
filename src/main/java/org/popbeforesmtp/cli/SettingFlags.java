package org.popbeforesmtp.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.popbeforesmtp.text.Setting;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Flags made from declared settings ({@link Setting}): one option per setting that has a flag, with
 * the declaration's help; what is given lands in the command's map by setting name, so the
 * settings' sources (file, environment, defaults) apply to the rest. A command's model transformer
 * is {@link Transformer}; nothing else states a setting's flag, default or help.
 */
final class SettingFlags {
  private SettingFlags() {}

  /**
   * A command whose flags are made from settings: what is given lands in {@link #flags} by setting
   * name. Its {@code @Command} names {@link Transformer} as its model transformer.
   */
  abstract static class Flagged {
    /** The settings given as flags, by name (only those given). */
    final Map<String, String> flags = new LinkedHashMap<>();

    /** The settings it has flags for. */
    abstract List<Setting> flagged();

    /** Settings whose flags start at their defaults (a command without file or environment). */
    List<Setting> flaggedWithDefaults() {
      return List.of();
    }
  }

  /** The model transformer of every {@link Flagged} command: adds its settings' flags. */
  static final class Transformer implements IModelTransformer {
    @Override
    public CommandSpec transform(CommandSpec spec) {
      Flagged command = (Flagged) spec.userObject();
      add(spec, command.flaggedWithDefaults(), true);
      return add(spec, command.flagged(), false);
    }
  }

  /**
   * Adds the flags of {@code settings} to {@code spec} (whose user object is a {@link Flagged}).
   *
   * @param defaultsGiven start each flag at its default (a command without a file or environment)
   */
  private static CommandSpec add(CommandSpec spec, List<Setting> settings, boolean defaultsGiven) {
    Map<String, String> target = ((Flagged) spec.userObject()).flags;
    for (Setting s : settings) {
      if (s.hasFlag()) {
        spec.addOption(option(s, target, defaultsGiven));
      }
    }
    return spec;
  }

  private static OptionSpec option(Setting setting, Map<String, String> target, boolean given) {
    ISetter setter =
        new ISetter() {
          @Override
          public <T> T set(T value) {
            if (value == null) {
              target.remove(setting.name());
            } else {
              target.put(setting.name(), value.toString());
            }
            return null;
          }
        };
    OptionSpec.Builder b =
        OptionSpec.builder(setting.flags())
            .paramLabel("<" + setting.name().substring(setting.name().lastIndexOf('.') + 1) + ">")
            .type(String.class)
            .setter(setter)
            .description(setting.help());
    if (given) {
      b.defaultValue(setting.defaultValue());
    }
    return b.build();
  }
}
