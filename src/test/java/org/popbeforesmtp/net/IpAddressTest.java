package org.popbeforesmtp.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "203.0.113.5, 203.0.113.5",
    "0.0.0.0, 0.0.0.0",
    "255.255.255.255, 255.255.255.255",
    "' 198.51.100.7 ', 198.51.100.7",
    "2001:DB8::1, 2001:db8::1",
    "2001:0db8:0000:0000:0000:0000:0000:0001, 2001:db8::1",
    "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
    "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
    "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",
    "::, ::",
    "::1, ::1",
    "1::, 1::",
    "fe80::1%eth0, fe80::1",
    "[2001:db8::5], 2001:db8::5",
    "[fe80::1%25en0], fe80::1",
    "::ffff:192.0.2.1, 192.0.2.1",
    "::FFFF:c000:0201, 192.0.2.1",
    "0:0:0:0:0:ffff:192.0.2.1, 192.0.2.1",
    "::192.0.2.1, ::c000:201",
    "64:ff9b::192.0.2.33, 64:ff9b::c000:221",
    "1:2:3:4:5:6:7:8, 1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7::, 1:2:3:4:5:6:7:0",
    "::2:3:4:5:6:7:8, 0:2:3:4:5:6:7:8",
  })
  void shouldCanonicalizeAddress(String input, String canonical) {
    assertThat(IpAddress.parse(input).toString()).isEqualTo(canonical);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        " ",
        "localhost",
        "mail.example.com",
        "1.2.3",
        "1.2.3.4.5",
        "256.1.1.1",
        "01.2.3.4",
        "1.2.3.4.",
        "1..3.4",
        "-1.2.3.4",
        "1.2.3.4/32",
        "1.2.3.4%eth0",
        "1.2.3.4:25",
        ":::",
        ":1::2",
        "1::2::3",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7:8::",
        "1:2:3:4:5:6:7",
        "12345::1",
        "g::1",
        "1:",
        "::1.2.3",
        "::ffff:1.2.3.256",
        "1:2:3:4:5:6:7:1.2.3.4",
        "[::1",
      })
  void shouldRejectWhatIsNotAnAddressLiteralNamingTheInput(String input) {
    assertThatThrownBy(() -> IpAddress.parse(input))
        .isInstanceOf(InvalidAddressException.class)
        .hasMessageContaining("'" + input + "'");
  }

  @Test
  void shouldRejectNull() {
    assertThatThrownBy(() -> IpAddress.parse(null)).isInstanceOf(InvalidAddressException.class);
  }

  @ParameterizedTest(name = "{0}/{1} -> {2}")
  @CsvSource({
    "203.0.113.77, 24, 203.0.113.0",
    "203.0.113.77, 0, 0.0.0.0",
    "203.0.113.77, 32, 203.0.113.77",
    "2001:db8:1:2:3:4:5:6, 64, 2001:db8:1:2::",
    "2001:db8:1:2:3:4:5:6, 48, 2001:db8:1::",
    "2001:db8:1:2:3:4:5:6, 96, 2001:db8:1:2:3:4::",
    "2001:db8:1:2:3:4:5:6, 0, ::",
  })
  void shouldMaskHostBits(String address, int length, String network) {
    assertThat(IpAddress.parse(address).mask(length).toString()).isEqualTo(network);
  }
}
