package org.popbeforesmtp.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class IpAddressProperties {

  @Provide
  Arbitrary<IpAddress> addresses() {
    Arbitrary<Integer> group =
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(5, Arbitraries.just(0)),
            net.jqwik.api.Tuple.of(5, Arbitraries.integers().between(0, 0xffff)));
    Arbitrary<IpAddress> v6 =
        group
            .list()
            .ofSize(8)
            .map(
                g -> {
                  long hi = 0;
                  long lo = 0;
                  for (int i = 0; i < 4; i++) {
                    hi = (hi << 16) | g.get(i);
                    lo = (lo << 16) | g.get(i + 4);
                  }
                  return IpAddress.ofV6(hi, lo);
                });
    Arbitrary<IpAddress> v4 = Arbitraries.integers().map(IpAddress::ofV4);
    return Arbitraries.oneOf(v4, v6);
  }

  @Property
  void parseOfFormatIsIdentity(@ForAll("addresses") IpAddress address) {
    assertThat(IpAddress.parse(address.toString())).isEqualTo(address);
  }

  @Property
  void canonicalFormIsIdempotent(@ForAll("addresses") IpAddress address) {
    String once = IpAddress.parse(address.toString()).toString();
    assertThat(IpAddress.parse(once).toString()).isEqualTo(once);
  }

  @Property
  void longFormParsesToTheSameAddress(@ForAll("addresses") IpAddress address)
      throws UnknownHostException {
    // the JDK parses literals without DNS; its full form must name the same address as ours
    String jdkForm = InetAddress.getByName(address.toString()).getHostAddress();
    assertThat(IpAddress.parse(jdkForm)).isEqualTo(address);
  }

  @Property
  void prefixOfAnAddressContainsIt(
      @ForAll("addresses") IpAddress address, @ForAll("lengths") int rawLength) {
    int length = rawLength % (address.bitLength() + 1);
    IpPrefix prefix = IpPrefix.of(address, length);
    assertThat(prefix.contains(address)).isTrue();
    assertThat(IpPrefix.parse(prefix.toString())).isEqualTo(prefix);
    assertThat(CidrSet.of(List.of(prefix)).contains(address)).isTrue();
  }

  @Provide
  Arbitrary<Integer> lengths() {
    return Combinators.combine(Arbitraries.integers().between(0, 128), Arbitraries.just(0))
        .as(Integer::sum);
  }
}
