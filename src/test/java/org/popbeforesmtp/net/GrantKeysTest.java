package org.popbeforesmtp.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class GrantKeysTest {

  @Test
  void shouldKeyEachAddressOnItsOwnByDefault() {
    assertThat(GrantKeys.PER_ADDRESS.keyOf("::ffff:203.0.113.5")).isEqualTo("203.0.113.5");
    assertThat(GrantKeys.PER_ADDRESS.keyOf("[2001:DB8::0:1%eth0]")).isEqualTo("2001:db8::1");
  }

  @Test
  void shouldKeyIpv4TextsThatAreNotPlainDottedQuadsByTheirCanonicalForm() {
    // a plain dotted quad is its own key; anything around or before it is not
    assertThat(GrantKeys.PER_ADDRESS.keyOf("203.0.113.5")).isEqualTo("203.0.113.5");
    assertThat(GrantKeys.PER_ADDRESS.keyOf(" 203.0.113.5\t")).isEqualTo("203.0.113.5");
    assertThat(GrantKeys.PER_ADDRESS.keyOf("[203.0.113.5]")).isEqualTo("203.0.113.5");
    assertThat(GrantKeys.PER_ADDRESS.keyOf("0:0:0:0:0:ffff:203.0.113.5")).isEqualTo("203.0.113.5");
    assertThat(GrantKeys.PER_ADDRESS.keyOf("0::ffff:203.0.113.5")).isEqualTo("203.0.113.5");
  }

  @Test
  void shouldKeyByPrefixWhenConfigured() {
    GrantKeys keys = new GrantKeys(32, 64);
    assertThat(keys.keyOf("2001:db8:1:2:aaaa::7")).isEqualTo("2001:db8:1:2::/64");
    assertThat(keys.keyOf("203.0.113.5")).isEqualTo("203.0.113.5");
    assertThat(new GrantKeys(24, 128).keyOf("203.0.113.5")).isEqualTo("203.0.113.0/24");
  }

  @Test
  void shouldCanonicalizeKeysGivenByPeople() {
    assertThat(GrantKeys.canonicalKey("2001:DB8:1:2:0::/64")).isEqualTo("2001:db8:1:2::/64");
    assertThat(GrantKeys.canonicalKey("203.0.113.5/32")).isEqualTo("203.0.113.5");
    assertThat(GrantKeys.canonicalKey("::ffff:203.0.113.5")).isEqualTo("203.0.113.5");
  }

  @Test
  void shouldRejectBadPrefixLengths() {
    assertThatThrownBy(() -> new GrantKeys(0, 128)).hasMessageContaining("0");
    assertThatThrownBy(() -> new GrantKeys(32, 129)).hasMessageContaining("129");
  }
}
