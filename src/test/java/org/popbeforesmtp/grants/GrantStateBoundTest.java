package org.popbeforesmtp.grants;

import static org.assertj.core.api.Assertions.assertThat;
import static org.popbeforesmtp.testing.TestEvents.login;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.SessionStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.popbeforesmtp.avro.RelayGrant;
import org.popbeforesmtp.testing.GrantDriver;

/** After a long history with expiry, the stores hold the live grants and retention slack only. */
class GrantStateBoundTest {
  @TempDir Path stateDir;

  @Test
  void shouldHoldOnlyLiveGrantsAndRecentSessionsAfterALongHistory() {
    GrantPolicy policy = GrantPolicy.defaults().withTtl(Duration.ofMinutes(10));
    Random random = new Random(42);
    try (GrantDriver d = new GrantDriver(policy, stateDir)) {
      Map<String, RelayGrant> table = new java.util.LinkedHashMap<>();
      Set<String> everKeyed = new HashSet<>();
      for (int i = 0; i < 4000; i++) {
        String ip = "10." + random.nextInt(8) + "." + random.nextInt(250) + ".1";
        everKeyed.add(ip);
        d.login(login(d.now()).setClientIp(ip).setUsername("u" + random.nextInt(300)).build());
        d.advance(Duration.ofSeconds(6)); // 4000 logins over 6h40m of wall clock
        GrantDriver.compact(table, d.emitted());
      }
      long now = d.now().toEpochMilli();

      KeyValueStore<String, Long> published = d.driver.getKeyValueStore(StoreNames.PUBLISHED);
      KeyValueStore<Bytes, byte[]> index = d.driver.getKeyValueStore(StoreNames.EXPIRY_INDEX);
      KeyValueStore<Bytes, byte[]> users = d.driver.getKeyValueStore(StoreNames.USER_INDEX);
      SessionStore<String, GrantState> sessions = d.driver.getSessionStore(StoreNames.GRANTS);

      assertThat(table.values())
          .as("compacted relay.grants holds only live grants")
          .allSatisfy(g -> assertThat(g.getExpiresAt().toEpochMilli()).isGreaterThan(now));
      assertThat(count(published)).isEqualTo(table.size());
      assertThat(count(index)).isEqualTo(table.size());
      assertThat(count(users)).isLessThanOrEqualTo(table.size() * 2).isGreaterThan(0);

      long retention = policy.sessionRetention().toMillis();
      int sessionCount = 0;
      for (String key : everKeyed) {
        try (KeyValueIterator<Windowed<String>, GrantState> it = sessions.fetch(key)) {
          while (it.hasNext()) {
            KeyValue<Windowed<String>, GrantState> s = it.next();
            // RocksDB drops whole segments (half the retention each): one segment of slack
            assertThat(s.key.window().end())
                .isGreaterThan(now - retention - retention / 2 - 60_000);
            sessionCount++;
          }
        }
      }
      assertThat(sessionCount)
          .as("sessions kept vs %d keys ever seen", everKeyed.size())
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
