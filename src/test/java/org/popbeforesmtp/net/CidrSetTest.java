package org.popbeforesmtp.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CidrSetTest {

  private final CidrSet set =
      CidrSet.parse("100.64.0.0/10, 192.0.2.7\n2001:db8:bad::/48 10.0.0.0/8");

  @Test
  void shouldContainAddressesInAnyListedNetwork() {
    assertThat(set.contains(IpAddress.parse("100.64.0.1"))).isTrue();
    assertThat(set.contains(IpAddress.parse("100.127.255.255"))).isTrue();
    assertThat(set.contains(IpAddress.parse("192.0.2.7"))).isTrue();
    assertThat(set.contains(IpAddress.parse("10.200.1.1"))).isTrue();
    assertThat(set.contains(IpAddress.parse("2001:db8:bad:1::9"))).isTrue();
    assertThat(set.contains(IpAddress.parse("::ffff:100.64.3.3"))).isTrue();
  }

  @Test
  void shouldNotContainAddressesOutsideTheNetworks() {
    assertThat(set.contains(IpAddress.parse("100.128.0.1"))).isFalse();
    assertThat(set.contains(IpAddress.parse("192.0.2.8"))).isFalse();
    assertThat(set.contains(IpAddress.parse("2001:db8:bae::1"))).isFalse();
    assertThat(set.contains(IpAddress.parse("::a40:1"))).as("v6 never matches v4 nets").isFalse();
  }

  @Test
  void shouldBeEmptyForABlankList() {
    assertThat(CidrSet.parse(" ").isEmpty()).isTrue();
    assertThat(CidrSet.parse(null).contains(IpAddress.parse("1.2.3.4"))).isFalse();
  }

  @Test
  void shouldNameTheBadEntry() {
    assertThatThrownBy(() -> CidrSet.parse("10.0.0.0/8, 10.0.0.1/8"))
        .isInstanceOf(InvalidAddressException.class)
        .hasMessageContaining("10.0.0.1/8")
        .hasMessageContaining("did you mean 10.0.0.0/8");
    assertThatThrownBy(() -> CidrSet.parse("10.0.0.0/33"))
        .hasMessageContaining("10.0.0.0/33")
        .hasMessageContaining("0-32");
    assertThatThrownBy(() -> CidrSet.parse("10.0.0.0/x")).hasMessageContaining("not a number");
    assertThatThrownBy(() -> CidrSet.parse("cgnat.example/10"))
        .hasMessageContaining("cgnat.example");
  }
}
