package org.popbeforesmtp.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.popbeforesmtp.net.IpAddress;
import org.popbeforesmtp.net.IpPrefix;

class GrantTableTest {
  private final GrantTable table = new GrantTable();

  private long at(String ip) {
    return table.expiresAt(IpAddress.parse(ip));
  }

  @Test
  void shouldPutReplaceAndRemoveKeys() {
    table.put(IpPrefix.parse("203.0.113.5"), 100);
    table.put(IpPrefix.parse("203.0.113.5"), 200);
    table.put(IpPrefix.parse("2001:db8::1"), 300);
    assertThat(at("203.0.113.5")).isEqualTo(200);
    assertThat(at("::ffff:203.0.113.5")).isEqualTo(200);
    assertThat(at("2001:db8::1")).isEqualTo(300);
    assertThat(at("203.0.113.6")).isEqualTo(Long.MIN_VALUE);
    table.remove(IpPrefix.parse("203.0.113.5"));
    table.remove(IpPrefix.parse("198.51.100.1"));
    assertThat(at("203.0.113.5")).isEqualTo(Long.MIN_VALUE);
    assertThat(table.size()).isEqualTo(1);
  }

  @Test
  void shouldMatchPrefixKeysOnlyForAddressesInside() {
    table.put(IpPrefix.parse("2001:db8:1:2::/64"), 500);
    table.put(IpPrefix.parse("2001:db8:1:2::9"), 400);
    assertThat(at("2001:db8:1:2:abcd::1")).isEqualTo(500);
    assertThat(at("2001:db8:1:2::9")).as("the later of host and prefix grant").isEqualTo(500);
    assertThat(at("2001:db8:1:3::1")).isEqualTo(Long.MIN_VALUE);
    assertThat(at("32.1.13.184")).as("v4 never matches v6 keys").isEqualTo(Long.MIN_VALUE);
  }

  @Test
  void shouldAgreeWithAHashMapUnderRandomPutsAndRemovesAcrossResizes() {
    Random random = new Random(7);
    Map<IpPrefix, Long> model = new HashMap<>();
    for (int i = 0; i < 200_000; i++) {
      IpPrefix key =
          IpPrefix.parse(
              "10." + random.nextInt(4) + "." + random.nextInt(256) + "." + random.nextInt(64));
      if (random.nextInt(3) == 0) {
        table.remove(key);
        model.remove(key);
      } else {
        long v = random.nextLong();
        table.put(key, v);
        model.put(key, v);
      }
    }
    assertThat(table.size()).isEqualTo(model.size());
    for (int a = 0; a < 4; a++) {
      for (int b = 0; b < 256; b++) {
        for (int c = 0; c < 64; c++) {
          IpPrefix key = IpPrefix.parse("10." + a + "." + b + "." + c);
          assertThat(table.expiresAt(key.network()))
              .isEqualTo(model.getOrDefault(key, Long.MIN_VALUE));
        }
      }
    }
  }

  @Test
  void shouldKeepEachGrantsUserThroughReplaceRemoveAndResizeWhenAsked() {
    GrantTable users = new GrantTable(true);
    Map<String, String> model = new HashMap<>();
    Random random = new Random(3);
    for (int i = 0; i < 20_000; i++) {
      String ip = "10.0." + random.nextInt(40) + "." + random.nextInt(250);
      if (random.nextInt(4) == 0) {
        users.remove(IpPrefix.parse(ip));
        model.remove(ip);
      } else {
        String user = "user" + i;
        users.put(IpPrefix.parse(ip), 1000 + i, user);
        model.put(ip, user);
      }
    }
    for (int a = 0; a < 40; a++) {
      for (int b = 0; b < 250; b++) {
        String ip = "10.0." + a + "." + b;
        assertThat(user(users, ip)).as(ip).isEqualTo(model.get(ip));
      }
    }
    // a prefix and a host grant: the user of the one that expires later
    users.put(IpPrefix.parse("2001:db8:1:2::/64"), 500, "nat");
    users.put(IpPrefix.parse("2001:db8:1:2::9"), 600, "host");
    assertThat(user(users, "2001:db8:1:2::9")).isEqualTo("host");
    assertThat(user(users, "2001:db8:1:2::8")).isEqualTo("nat");
    table.put(IpPrefix.parse("203.0.113.5"), 100, "ignored");
    assertThat(user(table, "203.0.113.5")).as("no users kept").isNull();
  }

  private static String user(GrantTable t, String ip) {
    GrantTable.Grant grant = t.grant(IpAddress.parse(ip));
    return grant == null ? null : grant.user();
  }
}
