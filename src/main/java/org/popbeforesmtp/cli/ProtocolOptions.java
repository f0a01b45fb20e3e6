package org.popbeforesmtp.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.popbeforesmtp.edge.EdgeProtocol;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The edge protocols' settings as flags, made from {@link EdgeProtocol#all()} so a new protocol
 * brings its flags with it: {@code edge} gets every setting ({@code --policy-port}, {@code
 * --ok-action}, {@code --whoson-port}, ...), {@code dev} the ports.
 */
final class ProtocolOptions {
  private ProtocolOptions() {}

  /** A command that collects protocol settings given as flags, by setting name. */
  interface Target {
    Map<String, String> protocolFlags();
  }

  /** Every protocol setting; values only when given (defaults come from the edge's settings). */
  static final class All implements IModelTransformer {
    @Override
    public CommandSpec transform(CommandSpec spec) {
      Map<String, String> target = ((Target) spec.userObject()).protocolFlags();
      for (EdgeProtocol p : EdgeProtocol.all()) {
        List<EdgeProtocol.Setting> settings = new ArrayList<>();
        settings.add(p.port());
        settings.addAll(p.options());
        for (EdgeProtocol.Setting s : settings) {
          spec.addOption(option(s, target, null));
        }
      }
      return spec;
    }
  }

  /** The ports only, each with its default as the initial value. */
  static final class Ports implements IModelTransformer {
    @Override
    public CommandSpec transform(CommandSpec spec) {
      Map<String, String> target = ((Target) spec.userObject()).protocolFlags();
      for (EdgeProtocol p : EdgeProtocol.all()) {
        spec.addOption(option(p.port(), target, p.port().defaultValue()));
      }
      return spec;
    }
  }

  private static OptionSpec option(
      EdgeProtocol.Setting setting, Map<String, String> target, String defaultValue) {
    ISetter setter =
        new ISetter() {
          @Override
          public <T> T set(T value) {
            if (value == null) {
              target.remove(setting.key());
            } else {
              target.put(setting.key(), value.toString());
            }
            return null;
          }
        };
    OptionSpec.Builder b =
        OptionSpec.builder(setting.flag())
            .paramLabel("<" + setting.key().substring(setting.key().lastIndexOf('.') + 1) + ">")
            .type(String.class)
            .setter(setter)
            .description(setting.description() + " (default " + setting.defaultValue() + ").");
    if (defaultValue != null) {
      b.defaultValue(defaultValue);
    }
    return b.build();
  }
}
