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

  /**
   * The dotted-quad shortcut the rules take on every login agrees with the full parser: a value
   * exactly for the texts that parse to an IPv4 address whose canonical text they are.
   */
  @Property(tries = 3000)
  void dottedQuadIsTheCanonicalIpv4Text(@ForAll("addressTexts") String text) {
    IpAddress parsed;
    try {
      parsed = IpAddress.parse(text);
    } catch (InvalidAddressException e) {
      parsed = null;
    }
    boolean canonicalV4 = parsed != null && parsed.isV4() && parsed.toString().equals(text);
    assertThat(IpAddress.dottedQuad(text) >= 0).as(text).isEqualTo(canonicalV4);
    if (canonicalV4) {
      assertThat(IpAddress.dottedQuad(text)).as(text).isEqualTo(parsed.lo());
    }
  }

  /** Canonical addresses, and texts near dotted quads: leading zeros, parts out of range, junk. */
  @Provide
  Arbitrary<String> addressTexts() {
    Arbitrary<String> part =
        Arbitraries.oneOf(
            Arbitraries.integers().between(0, 300).map(String::valueOf),
            Arbitraries.strings().withChars("0123456789").ofMinLength(0).ofMaxLength(4));
    Arbitrary<String> nearQuads =
        Combinators.combine(
                Arbitraries.of("", "", "", " ", "[", "0", "x"),
                part.list().ofMinSize(1).ofMaxSize(6).map(parts -> String.join(".", parts)),
                Arbitraries.of("", "", "", " ", "]", "%1", ".", ":"))
            .as((before, quad, after) -> before + quad + after);
    return Arbitraries.oneOf(addresses().map(IpAddress::toString), nearQuads);
  }

  @Provide
  Arbitrary<Integer> lengths() {
    return Combinators.combine(Arbitraries.integers().between(0, 128), Arbitraries.just(0))
        .as(Integer::sum);
  }
}
