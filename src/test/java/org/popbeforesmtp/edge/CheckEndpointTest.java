package org.popbeforesmtp.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** {@code GET /v1/check/{ip}} answers as README says, without HTTP. */
class CheckEndpointTest {
  @Test
  void aLiveGrantSaysRelayAndUntilWhen() {
    long expires = Instant.parse("2026-11-26T10:30:00Z").toEpochMilli();
    CheckEndpoint.Response r =
        CheckEndpoint.answer("203.0.113.5", GrantLookup.Answer.granted(expires, "alice"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body())
        .isEqualTo(
            "{\"ip\":\"203.0.113.5\",\"verdict\":\"GRANTED\",\"relay\":true,\"detail\":\"live"
                + " grant\",\"expiresAt\":\"2026-11-26T10:30:00.000Z\"}");
  }

  @Test
  void everythingElseSaysNoRelayAndABadAddressIs400() {
    assertThat(CheckEndpoint.answer("203.0.113.6", GrantLookup.Answer.none()))
        .isEqualTo(
            new CheckEndpoint.Response(
                200,
                "{\"ip\":\"203.0.113.6\",\"verdict\":\"NOT_GRANTED\",\"relay\":false,"
                    + "\"detail\":\"no live grant\"}"));
    assertThat(CheckEndpoint.answer("203.0.113.6", GrantLookup.Answer.notReady()).body())
        .contains("\"verdict\":\"NOT_READY\",\"relay\":false");
    assertThat(CheckEndpoint.answer("203.0.113.6", GrantLookup.Answer.error("internal error")))
        .extracting(CheckEndpoint.Response::status)
        .isEqualTo(200);
    CheckEndpoint.Response bad =
        CheckEndpoint.answer("mail.example", GrantLookup.Answer.invalid("not an IP address"));
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.body()).contains("\"relay\":false").doesNotContain("expiresAt");
  }
}
