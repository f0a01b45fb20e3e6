package org.popbeforesmtp.grants;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GrantRulesTest {

  @ParameterizedTest(name = "{0} covers {1}: {2}")
  @CsvSource({
    "203.0.113.5, 203.0.113.5, true",
    "203.0.113.0/24, 203.0.113.5, true",
    "203.0.114.0/24, 203.0.113.5, false",
    "2001:db8::/32, 2001:db8:1:2::/64, true",
    "2001:db8:1:2::5, 2001:db8:1:2::/64, true",
    "2001:db8:1:3::5, 2001:db8:1:2::/64, false",
    "2001:db8:1:2::/64, 2001:db8:1:2::/64, true",
    "2001:db8:1:2::/63, 2001:db8:1:3::/64, true",
    "::/0, 203.0.113.5, false",
    "0.0.0.0/0, 2001:db8::1, false",
  })
  void shouldCoverKeysInsideOrAroundTheTarget(String target, String key, boolean covers) {
    assertThat(GrantRules.covers(target, key)).isEqualTo(covers);
  }
}
