-- Relaying (relay.local_domains set): a provider and a relay: true entry
-- are accepted at connect; a relay: false trusted host may send to local
-- domains only, unless the user authenticated. The domain judged is the
-- envelope recipient's (argv[0]); a recipient the MTA delivers locally
-- ({rcpt_mailer} local) is never relaying.
-- config: base.yaml
-- expect-log: mx1.mailroute.example [199.89.0.10]: stage=connect port=25 verdict=accept reason=provider entry=mailroute match=range
-- expect-log: form.example [192.0.2.200]: stage=connect port=25 verdict=accept reason=trusted entry=webform match=range
-- expect-log: copier.example [192.0.2.40]: stage=rcpt port=25 verdict=continue reason=local-recipient entry=lan match=range rcpt=<bob@Example.COM>
-- expect-log: copier.example [192.0.2.40]: stage=rcpt port=25 verdict=reject reason=relay-denied entry=lan match=range rcpt=<victim@elsewhere.example.org> reply="554 5.7.1 Relay access denied"
-- expect-log: copier.example [192.0.2.40]: stage=rcpt port=25 verdict=continue reason=local-recipient entry=lan match=range rcpt=<root@mta.example.test>
-- expect-log: copier.example [192.0.2.40]: stage=rcpt port=25 verdict=continue reason=local-recipient entry=lan match=range rcpt=<postmaster>
-- expect-log: copier.example [192.0.2.40]: stage=rcpt port=25 verdict=reject reason=relay-denied entry=lan match=range rcpt=<user%elsewhere.example.org@relay.example.net> reply="554 5.7.1 Relay access denied"
-- expect-log: copier.example [192.0.2.40]: stage=mail port=25 verdict=continue reason=trusted entry=lan match=range user=carol
-- expect-log: copier.example [192.0.2.40]: stage=rcpt port=25 verdict=continue reason=authenticated entry=lan match=range rcpt=<victim@elsewhere.example.org>
-- expect-log: in6.example [2001:db8:1::25]: stage=rcpt port=25 verdict=reject reason=relay-denied entry=v6net match=range rcpt=<x@elsewhere.example.org> reply="554 5.7.1 Relay access denied"
-- expect-log: counters: trusted=lan accept=0 continue=8 reject=3 tempfail=0 would-reject=0 would-tempfail=0
dofile(src .. "/common.lua")

check_connect("mx1.mailroute.example", "199.89.0.10", "25", SMFIR_ACCEPT)
check_connect("form.example", "192.0.2.200", "25", SMFIR_ACCEPT)

local conn = client("copier.example", "192.0.2.40", "25")
want_reply(conn, SMFIR_CONTINUE, "connect trusted relay: false")
mail(conn, "<scan@example.com>", nil, SMFIR_CONTINUE, "MAIL")
rcpt(conn, "<bob@Example.COM>", "esmtp", SMFIR_CONTINUE, "local domain")
rcpt(conn, "<victim@elsewhere.example.org>", "esmtp", SMFIR_REPLYCODE,
     "relay refused")
rcpt(conn, "<root@mta.example.test>", "local", SMFIR_CONTINUE,
     "delivered locally by the MTA")
rcpt(conn, "<postmaster>", "local", SMFIR_CONTINUE, "no domain")
rcpt(conn, "<user%elsewhere.example.org@relay.example.net>", "esmtp",
     SMFIR_REPLYCODE, "percent hack")
mt.abort(conn)
mail(conn, "<carol@example.com>", "carol", SMFIR_CONTINUE,
     "authenticated MAIL")
rcpt(conn, "<victim@elsewhere.example.org>", "esmtp", SMFIR_CONTINUE,
     "authenticated relay")
mt.abort(conn)
-- authentication does not outlive its transaction
mail(conn, "<scan@example.com>", nil, SMFIR_CONTINUE, "MAIL again")
rcpt(conn, "<victim@elsewhere.example.org>", "esmtp", SMFIR_REPLYCODE,
     "relay refused again")
mt.disconnect(conn)

conn = client("in6.example", "2001:db8:1::25", "25")
want_reply(conn, SMFIR_CONTINUE, "connect v6 trusted relay: false")
mail(conn, "<a@example.com>", nil, SMFIR_CONTINUE, "MAIL v6")
rcpt(conn, "<x@elsewhere.example.org>", "esmtp", SMFIR_REPLYCODE,
     "v6 relay refused")
mt.disconnect(conn)
