package org.popbeforesmtp.bench;

import java.time.Duration;
import org.popbeforesmtp.edge.GrantCache;
import org.popbeforesmtp.edge.GrantTable;
import org.popbeforesmtp.grants.Topics;
import org.popbeforesmtp.net.IpPrefix;

/** The bench scenario {@code edge-memory}. */
final class EdgeMemory extends Scenario {
  EdgeMemory(Bench bench) {
    super(bench);
  }

  @Override
  Result run() throws Exception {
    return edgeMemory();
  }

  private Result edgeMemory() throws Exception {
    Result r = new Result("edge-memory", "grants", "heap bytes/grant", "table bytes/grant", "load");
    // expiries only (policy and socketmap), then with each grant's user (whoson answers +user)
    int[] sizes = quick ? new int[] {1_000_000} : new int[] {1_000_000, 10_000_000};
    for (boolean users : new boolean[] {false, true}) {
      for (int n : users ? new int[] {1_000_000} : sizes) {
        long before = usedHeap();
        GrantTable table = new GrantTable(users);
        long expires = System.currentTimeMillis() + 3_600_000;
        for (int i = 0; i < n; i++) {
          table.put(
              IpPrefix.parse(Bench.address(i)),
              expires,
              users ? "user" + i + "@example.com" : null);
        }
        long after = usedHeap();
        r.row(
            f0(n),
            f1((after - before) / (double) n),
            f1(table.arrayBytes() / (double) n),
            users
                ? "in memory, with usernames (GrantTable.put; whoson on)"
                : "in memory (GrantTable.put)");
        String suffix = users ? "WithUsers" : "";
        r.figure("heapBytesPerGrant" + suffix, (after - before) / (double) n);
        r.figure("tableBytesPerGrant" + suffix, table.arrayBytes() / (double) n);
        if (table.size() != n) {
          throw new IllegalStateException("table holds " + table.size() + " of " + n);
        }
      }
    }
    // cold start: an edge reading a compacted grants topic from the beginning
    int n = quick ? 200_000 : 1_000_000;
    Topics topics = bench.topics("coldstart", 3);
    produceGrants(topics.grants(), n, Duration.ofHours(2));
    double[] runs = new double[quick ? 1 : 3];
    for (int run = 0; run < runs.length; run++) {
      long t = System.nanoTime();
      try (GrantCache cache = edgeCache(topics)) {
        while (!cache.isReady()) {
          Thread.sleep(5);
        }
        runs[run] = (System.nanoTime() - t) / 1e9;
        if (cache.size() != n) {
          throw new IllegalStateException("cache holds " + cache.size() + " of " + n);
        }
      }
    }
    Stats.Repeated cold = Stats.repeated(runs);
    r.row(f0(n), "", "", "cold start from relay.grants: " + cold.show("%.2f") + " s");
    r.figure("coldStartSeconds", cold.median());
    r.note(
        "Heap: used heap after full GCs, before and after filling the table (keys: 4 in 5 IPv4"
            + " addresses, 1 in 5 IPv6). Table bytes: the open-addressing arrays' own size. The"
            + " table grows by doubling, so bytes per grant depend on where the count falls.");
    return r;
  }
}
