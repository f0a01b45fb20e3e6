package org.popbeforesmtp.runtime;

import io.javalin.Javalin;
import io.javalin.http.Context;
import org.popbeforesmtp.query.GrantQueries;
import org.popbeforesmtp.query.RevocationEndpoint;

/**
 * The processor's HTTP API: a grant, a user's grants and an address's login history (interactive
 * queries, forwarded to the instance that holds the key), and revocations. Routes only: the answers
 * come from {@link GrantQueries} and {@link RevocationEndpoint}.
 */
final class ProcessorHttpApi {
  private ProcessorHttpApi() {}

  static void serve(Javalin http, GrantQueries queries, RevocationEndpoint revocations) {
    http.get(
        "/v1/grants/{ip}", ctx -> answer(ctx, queries.grant(ctx.pathParam("ip"), forwarded(ctx))));
    http.get(
        "/v1/grants",
        ctx -> answer(ctx, queries.grantsOfUser(ctx.queryParam("user"), forwarded(ctx))));
    http.get(
        "/v1/logins/{ip}",
        ctx -> answer(ctx, queries.history(ctx.pathParam("ip"), forwarded(ctx))));
    http.post("/v1/revocations", ctx -> revoke(ctx, revocations));
  }

  private static void answer(Context ctx, GrantQueries.Answer answer) {
    if (answer.status() == 503) {
      ctx.header("Retry-After", "1");
    }
    ctx.header("X-Served-By", answer.servedBy());
    ctx.contentType("application/json").status(answer.status()).result(answer.body());
  }

  private static void revoke(Context ctx, RevocationEndpoint endpoint) {
    RevocationEndpoint.Response r =
        endpoint.handle(
            ctx.header("Content-Type"),
            ctx.req().getRemoteAddr(),
            ctx.header("Authorization"),
            ctx.body());
    if (r.retryAfter() > 0) {
      ctx.header("Retry-After", Integer.toString(r.retryAfter()));
    }
    ctx.contentType("application/json").status(r.status()).result(r.body());
  }

  private static boolean forwarded(Context ctx) {
    return ctx.header(GrantQueries.FORWARDED_HEADER) != null;
  }
}
