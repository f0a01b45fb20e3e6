package org.popbeforesmtp.runtime;

import java.util.List;

/**
 * The Postfix, sendmail, Exim and Dovecot configuration lines that point a mail server at this
 * system. One source: {@code dev} prints them, the README shows them, and the end-to-end tests
 * configure the real Postfix, sendmail, Exim and Dovecot with exactly these lines.
 */
public final class ConfigSnippets {
  private ConfigSnippets() {}

  /** Postfix {@code main.cf}: policy delegation to the edge (the recommended hook). */
  public static List<String> postfixPolicy(String host, int policyPort) {
    return List.of(
        POSTFIX_RELAY_RESTRICTIONS,
        "    check_policy_service inet:" + host + ":" + policyPort + ", reject_unauth_destination",
        "smtpd_policy_service_timeout = 3s");
  }

  /** Postfix {@code main.cf}: the same check through the edge's socketmap. */
  public static List<String> postfixSocketmap(String host, int socketmapPort) {
    return List.of(
        POSTFIX_RELAY_RESTRICTIONS,
        "    check_client_access socketmap:inet:"
            + host
            + ":"
            + socketmapPort
            + ":grants, reject_unauth_destination");
  }

  /** The first line of either Postfix hook: what relays before the edge is asked. */
  private static final String POSTFIX_RELAY_RESTRICTIONS =
      "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated,";

  /**
   * sendmail {@code .mc}: the shipped hack ({@code deploy/sendmail/popbeforesmtp.m4}, copied to
   * sendmail's {@code cf/hack/}) asking the edge's socketmap, before the {@code MAILER} lines.
   */
  public static List<String> sendmailHack(String host, int socketmapPort) {
    return List.of("HACK(`popbeforesmtp', `inet:" + socketmapPort + "@" + host + "')dnl");
  }

  /**
   * Exim: lines for the RCPT ACL ({@code acl_check_rcpt}, before its relay {@code deny}), asking
   * the edge's whoson server with {@code readsocket}: {@code +user} accepts, no answer (or a bad
   * request) defers with a 451, {@code -} falls through to the ACL's own relay check.
   */
  public static List<String> eximAcl(String host, int whosonPort) {
    return List.of(
        "# pop-before-smtp: may this client relay? (the edge's whoson server)",
        "warn    set acl_m_pbs = ${readsocket{inet:"
            + host
            + ":"
            + whosonPort
            + "}{QUERY $sender_host_address\\r\\n\\r\\n}{3s}{}{*edge unreachable}}",
        "accept  condition = ${if eq{${substr_0_1:$acl_m_pbs}}{+}}",
        "defer   condition = ${if eq{${substr_0_1:$acl_m_pbs}}{*}}",
        "        message = relay check unavailable, try again later");
  }

  /**
   * Dovecot (2.2.27+): report every authentication to the ingest endpoint, report only (a login
   * never waits for us).
   *
   * @param nonce Dovecot's {@code auth_policy_hash_nonce} (any long random string)
   */
  public static List<String> dovecot(String ingestUrl, String nonce) {
    return List.of(
        "auth_policy_server_url = " + ingestUrl,
        "auth_policy_hash_nonce = " + nonce,
        "auth_policy_request_attributes = login=%{requested_username} remote=%{rip} protocol=%s"
            + " session_id=%{session}",
        "auth_policy_check_before_auth = no",
        "auth_policy_check_after_auth = no",
        "auth_policy_report_after_auth = yes",
        "auth_policy_reject_on_fail = no");
  }
}
