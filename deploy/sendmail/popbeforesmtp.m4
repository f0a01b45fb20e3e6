divert(-1)
dnl # pop-before-smtp for sendmail: relay for clients that have a live grant, asking the edge's
dnl # socketmap server through sendmail's "socket" map class.
dnl #
dnl # Install: copy this file to sendmail's cf/hack directory (Debian: /usr/share/sendmail/cf/hack/)
dnl # and add to your .mc file, before the MAILER lines:
dnl #
dnl #   HACK(`popbeforesmtp', `inet:10041@127.0.0.1')dnl
dnl #
dnl # The argument is the edge's socketmap address (default inet:10041@127.0.0.1). A client whose
dnl # address has a live grant may relay: check_rcpt accepts its recipients as it would for a
dnl # relay-domains client. Any other client goes through the usual checks (a foreign recipient
dnl # gets "Relaying denied"). Only the edge's explicit OK grants: when the edge cannot be asked,
dnl # or answers anything else, nobody relays through this rule (fail closed) and local mail is
dnl # accepted as usual.
dnl #
dnl # This defines the ruleset Local_check_rcpt: merge by hand if your .mc already has one.
divert(0)dnl
VERSIONID(`pop-before-smtp relay hack')
LOCAL_CONFIG
# pop-before-smtp: the edge's socketmap (it answers OK for a live grant)
Kpopbeforesmtp socket -T<TMPF> ifelse(_ARG_, `', `inet:10041@127.0.0.1', `_ARG_')
LOCAL_RULESETS
SLocal_check_rcpt
R$*			$: $&{client_addr}
# sendmail writes IPv6 clients as IPv6:2001:db8::1; the edge wants the address alone
RIPv6 : $+		$: $1
R$+			$: $(popbeforesmtp $1 $: <NOTFOUND> $)
# only the edge's OK grants: a map that cannot be reached leaves the key, which is no OK
ROK			$# OK
