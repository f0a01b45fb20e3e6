package org.popbeforesmtp.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.popbeforesmtp.runtime.LocalCluster;

/**
 * The plain three-node cluster the tests of one run share, started at the first call (under {@code
 * target/}, its logs kept) and stopped when the test JVM exits. Each call returns it with every
 * node up: a node an earlier test left killed is started again. Tests on it use their own topic
 * names and application ids, and never close it.
 */
public final class SharedCluster {
  private static LocalCluster cluster;

  private SharedCluster() {}

  public static synchronized LocalCluster get() throws Exception {
    if (cluster == null) {
      Path target = Files.createDirectories(Path.of("target"));
      LocalCluster started = LocalCluster.start(Files.createTempDirectory(target, "cluster-"), 3);
      Runtime.getRuntime().addShutdownHook(new Thread(started::close, "shared-cluster-stop"));
      cluster = started;
      return started;
    }
    cluster.startStoppedNodes();
    cluster.awaitNodes(cluster.size(), Duration.ofSeconds(90));
    return cluster;
  }
}
