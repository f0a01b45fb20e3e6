package org.popbeforesmtp.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import org.popbeforesmtp.bench.Bench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bench}: the performance scenarios on an embedded broker, tables and JSON. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Measures throughput and latency on this machine: processor throughput, login-to-edge"
          + " latency, policy/socketmap server load, edge memory per grant and cold start,"
          + " audit replay rate, tail agent. Runs an embedded Kafka broker (or a local cluster) on"
          + " loopback; every"
          + " scenario stops by itself. Prints tables and writes one JSON file per scenario.",
      ""
    })
public final class BenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--quick", description = "Small sizes and short runs (about 3 minutes).")
  boolean quick;

  @Option(
      names = "--scenario",
      split = ",",
      description = "Only these (default all): ${COMPLETION-CANDIDATES}.",
      completionCandidates = Scenarios.class)
  List<String> scenarios;

  @Option(
      names = "--output-dir",
      defaultValue = "bench/results",
      description = "Where the JSON goes (default ${DEFAULT-VALUE}).")
  Path outputDir;

  @Option(names = "--work-dir", description = "Broker data (default: a temporary directory).")
  Path workDir;

  @Option(
      names = "--brokers",
      defaultValue = "1",
      description =
          "Brokers to run on: 1 embedded in this JVM (default), or a local cluster of 2 to 5, each"
              + " in its own JVM, topics replicated to all with min.insync.replicas=2.")
  int brokers;

  static final class Scenarios implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return Bench.SCENARIOS.iterator();
    }
  }

  @Override
  public Integer call() throws Exception {
    List<String> chosen = scenarios == null ? Bench.SCENARIOS : scenarios;
    for (String s : chosen) {
      if (!Bench.SCENARIOS.contains(s)) {
        throw new IllegalArgumentException(
            "unknown scenario '" + s + "': choose from " + String.join(", ", Bench.SCENARIOS));
      }
    }
    if (brokers < 1 || brokers > 5) {
      throw new IllegalArgumentException(
          "--brokers " + brokers + " is out of range: 1 (embedded) or a local cluster of 2 to 5");
    }
    Path work = workDir != null ? workDir : Files.createTempDirectory("pop-before-smtp-bench");
    Bench.run(
        new Bench.Settings(quick, work, outputDir, chosen, brokers, spec.commandLine().getOut()));
    return 0;
  }
}
