package org.popbeforesmtp.grants;

import static org.assertj.core.api.Assertions.assertThat;
import static org.popbeforesmtp.testing.TestEvents.login;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.avro.RelayGrant;
import org.popbeforesmtp.testing.GrantDriver;

/** After a long history with expiry, the stores hold the live grants and what is in retention. */
class GrantStateBoundTest {
  @TempDir Path stateDir;

  @Test
  void shouldHoldOnlyLiveGrantsAndRecentSessionsAfterALongHistory() {
    GrantPolicy policy = GrantPolicy.defaults().withTtl(Duration.ofMinutes(10));
    Random random = new Random(42);
    try (GrantDriver d = new GrantDriver(policy, stateDir)) {
      Map<String, RelayGrant> table = new LinkedHashMap<>();
      Set<String> everKeyed = new HashSet<>();
      for (int i = 0; i < 4000; i++) {
        String ip = "10." + random.nextInt(8) + "." + random.nextInt(250) + ".1";
        everKeyed.add(ip);
        d.login(login(d.now()).setClientIp(ip).setUsername("u" + random.nextInt(300)).build());
        d.advance(Duration.ofSeconds(6)); // 4000 logins over 6h40m of wall clock
        GrantDriver.compact(table, d.emitted());
      }
      long now = d.now().toEpochMilli();

      KeyValueStore<String, KeyState> states = d.driver.getKeyValueStore(StoreNames.KEY_STATE);
      KeyValueStore<Bytes, byte[]> index = d.driver.getKeyValueStore(StoreNames.EXPIRY_INDEX);

      assertThat(table.values())
          .as("compacted relay.grants holds only live grants")
          .allSatisfy(g -> assertThat(g.getExpiresAt().toEpochMilli()).isGreaterThan(now));
      long retention = policy.sessionRetention().toMillis();
      long ttl = policy.ttl().toMillis();
      int published = 0;
      int keys = 0;
      try (KeyValueIterator<String, KeyState> it = states.all()) {
        while (it.hasNext()) {
          KeyValue<String, KeyState> entry = it.next();
          KeyState state = entry.value;
          keys++;
          if (state.published()) {
            published++;
            assertThat(table).containsKey(entry.key);
          }
          // pruned at each write of the key; the next one is due by its grant's expiry at the
          // latest
          long slack = ttl + policy.maxFutureSkew().toMillis();
          assertThat(state.sessions())
              .as("sessions of %s within retention", entry.key)
              .allSatisfy(
                  session -> assertThat(session.end() + retention + slack).isGreaterThan(now));
          assertThat(state.seen().values())
              .as("event ids of %s within the TTL", entry.key)
              .allSatisfy(time -> assertThat(time + ttl + slack).isGreaterThan(now));
        }
      }
      assertThat(published).isEqualTo(table.size());
      assertThat(count(index)).as("one index entry per key with state").isEqualTo(keys);
      // 6 s between logins: only the keys of the last retention span (~230 logins) keep state
      assertThat(keys)
          .as("keys with state vs %d keys ever seen", everKeyed.size())
          .isLessThanOrEqualTo((int) (retention / 6_000) + 1)
          .isLessThan(everKeyed.size() / 2);
      assertThat(table.size()).isGreaterThan(0);
    }
  }

  private static <K, V> int count(KeyValueStore<K, V> store) {
    int n = 0;
    try (KeyValueIterator<K, V> it = store.all()) {
      while (it.hasNext()) {
        it.next();
        n++;
      }
    }
    return n;
  }
}
