package org.popbeforesmtp.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.popbeforesmtp.avro.Revocation;
import org.popbeforesmtp.avro.RevocationScope;

class RevocationEndpointTest {
  private static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");

  @Test
  void shouldCanonicalizeKeyTargetsAndDefaultTimeAndIssuer() {
    Revocation r =
        RevocationEndpoint.parse(
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
        RevocationEndpoint.parse(
            "{\"scope\":\"USER\",\"target\":\"alice\",\"reason\":\"compromised\","
                + "\"issuedBy\":\"abuse-desk\",\"revokedAt\":\"2026-11-26T09:00:00Z\"}",
            NOW);
    assertThat(r.getTarget()).isEqualTo("alice");
    assertThat(r.getRevokedAt()).isEqualTo(Instant.parse("2026-11-26T09:00:00Z"));
    assertThat(r.getIssuedBy()).isEqualTo("abuse-desk");
  }

  @Test
  void shouldRefuseUnclearRequestsSayingWhy() {
    assertThatThrownBy(() -> RevocationEndpoint.parse("not json", NOW))
        .hasMessageContaining("not JSON");
    assertThatThrownBy(
            () ->
                RevocationEndpoint.parse(
                    "{\"scope\":\"HOST\",\"target\":\"a\",\"reason\":\"r\"}", NOW))
        .hasMessageContaining("scope 'HOST'");
    assertThatThrownBy(
            () ->
                RevocationEndpoint.parse(
                    "{\"scope\":\"KEY\",\"target\":\"mail.example.com\",\"reason\":\"r\"}", NOW))
        .hasMessageContaining("mail.example.com");
    assertThatThrownBy(
            () -> RevocationEndpoint.parse("{\"scope\":\"USER\",\"target\":\"alice\"}", NOW))
        .hasMessageContaining("reason is required");
    assertThatThrownBy(
            () ->
                RevocationEndpoint.parse(
                    "{\"scope\":\"USER\",\"target\":\"a\",\"reason\":\"r\",\"revokedAt\":\"yesterday\"}",
                    NOW))
        .hasMessageContaining("yesterday");
  }

  @Test
  void shouldMatchOnlyTheExactBearerToken() {
    assertThat(RevocationEndpoint.tokenMatches("Bearer s3cret", "s3cret")).isTrue();
    assertThat(RevocationEndpoint.tokenMatches("Bearer s3cre", "s3cret")).isFalse();
    assertThat(RevocationEndpoint.tokenMatches("Basic s3cret", "s3cret")).isFalse();
    assertThat(RevocationEndpoint.tokenMatches(null, "s3cret")).isFalse();
  }

  @Test
  void shouldLetOnlyLoopbackRevokeWithoutATokenAndOnlyTheTokenWithOne() {
    assertThat(RevocationEndpoint.refusal("127.0.0.1", null, null)).isNull();
    assertThat(RevocationEndpoint.refusal("::1", null, null)).isNull();
    assertThat(RevocationEndpoint.refusal("192.0.2.9", "Bearer anything", null).status())
        .as("off loopback without admin.token")
        .isEqualTo(403);
    assertThat(RevocationEndpoint.refusal("not an address", null, null).status()).isEqualTo(403);
    assertThat(RevocationEndpoint.refusal("192.0.2.9", "Bearer s3cret", "s3cret")).isNull();
    assertThat(RevocationEndpoint.refusal("192.0.2.9", null, "s3cret").status()).isEqualTo(401);
    assertThat(RevocationEndpoint.refusal("127.0.0.1", "Bearer wrong", "s3cret").status())
        .as("with a token set, loopback needs it too")
        .isEqualTo(401);
  }

  @Test
  void shouldTakeOnlyJsonSoThatAnotherSiteCannotRevokeThroughABrowser() {
    assertThat(RevocationEndpoint.mediaTypeRefusal("application/json")).isNull();
    assertThat(RevocationEndpoint.mediaTypeRefusal("Application/JSON; charset=utf-8")).isNull();
    assertThat(RevocationEndpoint.mediaTypeRefusal("text/plain").status())
        .as("a cross-site fetch without preflight")
        .isEqualTo(415);
    assertThat(RevocationEndpoint.mediaTypeRefusal("application/x-www-form-urlencoded").status())
        .as("an HTML form")
        .isEqualTo(415);
    assertThat(RevocationEndpoint.mediaTypeRefusal(null).message())
        .contains("Content-Type: application/json");
  }

  // ---- the whole request, without HTTP

  private static final String BODY =
      "{\"scope\":\"KEY\",\"target\":\"203.0.113.5\",\"reason\":\"spam ticket 4711\"}";

  private final List<Revocation> published = new ArrayList<>();

  private RevocationEndpoint endpoint(String token, RevocationEndpoint.Publisher publisher) {
    return new RevocationEndpoint(token, Clock.fixed(NOW, ZoneOffset.UTC), publisher);
  }

  private RevocationEndpoint endpoint(String token) {
    return endpoint(token, published::add);
  }

  @Test
  void shouldPublishAnAllowedRevocationAndAnswerWhatWasRevoked() {
    RevocationEndpoint.Response r =
        endpoint(null).handle("application/json", "127.0.0.1", null, BODY);
    assertThat(r.status()).isEqualTo(202);
    assertThat(r.body())
        .isEqualTo(
            "{\"scope\":\"KEY\",\"target\":\"203.0.113.5\",\"reason\":\"spam ticket 4711\","
                + "\"issuedBy\":\"http-api\",\"revokedAt\":\"2026-11-26T10:00:00.000Z\"}");
    assertThat(published).hasSize(1);
    assertThat(published.get(0).getTarget()).isEqualTo("203.0.113.5");
    assertThat(published.get(0).getRevokedAt()).isEqualTo(NOW);
  }

  @Test
  void shouldRefuseBeforeParsingOrPublishing() {
    assertThat(endpoint(null).handle("text/plain", "127.0.0.1", null, BODY).status())
        .isEqualTo(415);
    assertThat(endpoint(null).handle("application/json", "192.0.2.9", null, BODY).status())
        .isEqualTo(403);
    RevocationEndpoint.Response unauthorized =
        endpoint("s3cret").handle("application/json", "127.0.0.1", "Bearer wrong", BODY);
    assertThat(unauthorized.status()).isEqualTo(401);
    assertThat(unauthorized.body())
        .isEqualTo("{\"error\":\"unauthorized\",\"detail\":\"a valid bearer token is required\"}");
    RevocationEndpoint.Response invalid =
        endpoint(null).handle("application/json", "127.0.0.1", null, "{\"scope\":\"KEY\"}");
    assertThat(invalid.status()).isEqualTo(400);
    assertThat(invalid.body()).contains("invalid revocation").contains("target is required");
    assertThat(published).isEmpty();
    assertThat(
            endpoint("s3cret")
                .handle("application/json", "192.0.2.9", "Bearer s3cret", BODY)
                .status())
        .isEqualTo(202);
  }

  @Test
  void shouldAnswer503WithRetryAfterWhenKafkaDoesNotTakeIt() {
    RevocationEndpoint.Response r =
        endpoint(
                null,
                revocation -> {
                  throw new TimeoutException("no acknowledgement in 10 s");
                })
            .handle("application/json", "127.0.0.1", null, BODY);
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.retryAfter()).isEqualTo(5);
    assertThat(r.body()).contains("could not publish the revocation").contains("10 s");
  }
}
