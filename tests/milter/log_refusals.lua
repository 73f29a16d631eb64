-- "log: refusals": a refusal is logged as always, a decision that lets the
-- client through is not, and the counters still count both.
-- config: log-refusals.yaml
-- expect-log: spam.example.net [203.0.113.5]: stage=connect port=25 verdict=reject reason=not-listed entry=- reply="554 5.7.1 Mail must arrive through the filtering service"
-- expect-log: copier.example [192.0.2.40]: stage=rcpt port=25 verdict=reject reason=relay-denied entry=lan match=range rcpt=<victim@elsewhere.example.org> reply="554 5.7.1 Relay access denied"
-- expect-log: counters: provider=mailroute accept=1 continue=0 reject=0 tempfail=0 would-reject=0 would-tempfail=0
-- expect-log: counters: trusted=lan accept=0 continue=2 reject=1 tempfail=0 would-reject=0 would-tempfail=0
-- forbid-log: verdict=accept
-- forbid-log: verdict=continue
dofile(src .. "/common.lua")

check_connect("mx.mailroute.net", "199.89.0.10", "25", SMFIR_ACCEPT)
check_connect("spam.example.net", "203.0.113.5", "25", SMFIR_REPLYCODE)
local conn = client("copier.example", "192.0.2.40", "25")
want_reply(conn, SMFIR_CONTINUE, "trusted relay: false")
mail(conn, "<scan@example.com>", nil, SMFIR_CONTINUE, "MAIL")
rcpt(conn, "<victim@elsewhere.example.org>", "esmtp", SMFIR_REPLYCODE,
     "relay refused")
mt.disconnect(conn)
