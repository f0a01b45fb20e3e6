package org.popbeforesmtp.cli;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.popbeforesmtp.config.ConfigSources;
import org.popbeforesmtp.config.ProcessorConfig;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.runtime.TopicProvisioner;
import org.popbeforesmtp.text.Setting;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code topics create|check}: provisions or checks every topic as the processor would. */
@Command(
    name = "topics",
    mixinStandardHelpOptions = true,
    modelTransformer = SettingFlags.Transformer.class,
    description = {
      "Creates (create) or checks (check) every topic of the system with the processor's rules:"
          + " partitions, replication factor, cleanup policies. For deployments where the"
          + " processor has no right to create topics, and as a one-shot init step before the"
          + " other services start. Nothing but the processor and this command creates topics.",
      "",
      "Reads the processor's settings (--config file, PBS_* environment, flags): partitions,"
          + " replication.factor, topic.logins, topic.grants, topic.revocations,"
          + " topic.dead.letters. Exit code 0 when every topic exists and is usable, 1 when one"
          + " is missing (check) or misconfigured.",
      ""
    })
public final class TopicsCommand extends SettingFlags.Flagged implements Callable<Integer> {
  @Override
  List<Setting> flagged() {
    return ConfigSources.concat(ConfigSources.CLUSTER, ProcessorConfig.TOPIC_CREATION);
  }

  /** What to do. */
  enum Action {
    create,
    check
  }

  @Spec CommandSpec spec;

  @Parameters(index = "0", description = "create or check.")
  Action action;

  @Mixin ClusterOptions cluster = new ClusterOptions();

  private final Map<String, String> env;

  /** The command on the process environment. */
  public TopicsCommand() {
    this(System.getenv());
  }

  TopicsCommand(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() {
    ConfigSources sources =
        cluster.load(ProcessorConfig.SETTINGS, ProcessorConfig.DEFAULTS, env, flags);
    Topics topics = ProcessorConfig.topics(sources);
    Properties props =
        ConfigSources.clientProperties(sources.require("bootstrap.servers"), sources.kafka());
    var out = spec.commandLine().getOut();
    try (Admin admin = Admin.create(props)) {
      if (action == Action.create) {
        TopicProvisioner.ensure(
            admin, topics, sources.getInt("partitions"), sources.getInt("replication.factor"));
      }
      List<String> missing = TopicProvisioner.check(admin, topics, out::println);
      out.flush();
      if (!missing.isEmpty()) {
        spec.commandLine()
            .getErr()
            .println(
                "error: missing "
                    + missing
                    + "; create them with `pop-before-smtp topics create` (or start the"
                    + " processor)");
        return 1;
      }
      return 0;
    } catch (TopicProvisioner.TopicConfigException e) {
      spec.commandLine().getErr().println("error: " + e.getMessage());
      return 1;
    }
  }
}
