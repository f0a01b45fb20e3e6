package org.popbeforesmtp.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.popbeforesmtp.avro.Revocation;
import org.popbeforesmtp.avro.RevocationScope;

class RevocationRequestsTest {
  private static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");

  @Test
  void shouldCanonicalizeKeyTargetsAndDefaultTimeAndIssuer() {
    Revocation r =
        RevocationRequests.parse(
            "{\"scope\":\"key\",\"target\":\"2001:DB8::0:1\",\"reason\":\"spam ticket 4711\"}",
            NOW);
    assertThat(r.getScope()).isEqualTo(RevocationScope.KEY);
    assertThat(r.getTarget()).isEqualTo("2001:db8::1");
    assertThat(r.getRevokedAt()).isEqualTo(NOW);
    assertThat(r.getIssuedBy()).isEqualTo("http-api");
  }

  @Test
  void shouldAcceptUsersAndAnExplicitTime() {
    Revocation r =
        RevocationRequests.parse(
            "{\"scope\":\"USER\",\"target\":\"alice\",\"reason\":\"compromised\","
                + "\"issuedBy\":\"abuse-desk\",\"revokedAt\":\"2026-11-26T09:00:00Z\"}",
            NOW);
    assertThat(r.getTarget()).isEqualTo("alice");
    assertThat(r.getRevokedAt()).isEqualTo(Instant.parse("2026-11-26T09:00:00Z"));
    assertThat(r.getIssuedBy()).isEqualTo("abuse-desk");
  }

  @Test
  void shouldRefuseUnclearRequestsSayingWhy() {
    assertThatThrownBy(() -> RevocationRequests.parse("not json", NOW))
        .hasMessageContaining("not JSON");
    assertThatThrownBy(
            () ->
                RevocationRequests.parse(
                    "{\"scope\":\"HOST\",\"target\":\"a\",\"reason\":\"r\"}", NOW))
        .hasMessageContaining("scope 'HOST'");
    assertThatThrownBy(
            () ->
                RevocationRequests.parse(
                    "{\"scope\":\"KEY\",\"target\":\"mail.example.com\",\"reason\":\"r\"}", NOW))
        .hasMessageContaining("mail.example.com");
    assertThatThrownBy(
            () -> RevocationRequests.parse("{\"scope\":\"USER\",\"target\":\"alice\"}", NOW))
        .hasMessageContaining("reason is required");
    assertThatThrownBy(
            () ->
                RevocationRequests.parse(
                    "{\"scope\":\"USER\",\"target\":\"a\",\"reason\":\"r\",\"revokedAt\":\"yesterday\"}",
                    NOW))
        .hasMessageContaining("yesterday");
  }

  @Test
  void shouldMatchOnlyTheExactBearerToken() {
    assertThat(RevocationRequests.tokenMatches("Bearer s3cret", "s3cret")).isTrue();
    assertThat(RevocationRequests.tokenMatches("Bearer s3cre", "s3cret")).isFalse();
    assertThat(RevocationRequests.tokenMatches("Basic s3cret", "s3cret")).isFalse();
    assertThat(RevocationRequests.tokenMatches(null, "s3cret")).isFalse();
  }

  @Test
  void shouldLetOnlyLoopbackRevokeWithoutATokenAndOnlyTheTokenWithOne() {
    assertThat(RevocationRequests.refusal("127.0.0.1", null, null)).isNull();
    assertThat(RevocationRequests.refusal("::1", null, null)).isNull();
    assertThat(RevocationRequests.refusal("192.0.2.9", "Bearer anything", null).status())
        .as("off loopback without admin.token")
        .isEqualTo(403);
    assertThat(RevocationRequests.refusal("not an address", null, null).status()).isEqualTo(403);
    assertThat(RevocationRequests.refusal("192.0.2.9", "Bearer s3cret", "s3cret")).isNull();
    assertThat(RevocationRequests.refusal("192.0.2.9", null, "s3cret").status()).isEqualTo(401);
    assertThat(RevocationRequests.refusal("127.0.0.1", "Bearer wrong", "s3cret").status())
        .as("with a token set, loopback needs it too")
        .isEqualTo(401);
  }

  @Test
  void shouldTakeOnlyJsonSoThatAnotherSiteCannotRevokeThroughABrowser() {
    assertThat(RevocationRequests.mediaTypeRefusal("application/json")).isNull();
    assertThat(RevocationRequests.mediaTypeRefusal("Application/JSON; charset=utf-8")).isNull();
    assertThat(RevocationRequests.mediaTypeRefusal("text/plain").status())
        .as("a cross-site fetch without preflight")
        .isEqualTo(415);
    assertThat(RevocationRequests.mediaTypeRefusal("application/x-www-form-urlencoded").status())
        .as("an HTML form")
        .isEqualTo(415);
    assertThat(RevocationRequests.mediaTypeRefusal(null).message())
        .contains("Content-Type: application/json");
  }
}
