-- A refuse.reply with a 4xx code makes the refusal temporary: the milter
-- answers tempfail (libmilter only sends a reply whose class matches the
-- answer) and logs and counts what the MTA is told.
-- config: refuse-4xx.yaml
-- expect-log: spam.example.net [203.0.113.5]: stage=connect port=25 verdict=tempfail reason=not-listed entry=- reply="451 4.7.1 Mail must arrive through the filtering service"
-- expect-log: copier.example [192.0.2.40]: stage=rcpt port=25 verdict=reject reason=relay-denied entry=lan match=range rcpt=<victim@elsewhere.example.org> reply="554 5.7.1 Relay access denied"
-- expect-log: counters: row=not-listed accept=0 continue=0 reject=0 tempfail=1 would-reject=0 would-tempfail=0
-- forbid-log: stage=connect port=25 verdict=reject
dofile(src .. "/common.lua")

check_connect("spam.example.net", "203.0.113.5", "25", SMFIR_REPLYCODE)
-- relay.reply keeps its 5xx
local conn = client("copier.example", "192.0.2.40", "25")
want_reply(conn, SMFIR_CONTINUE, "trusted relay: false")
mail(conn, "<scan@example.com>", nil, SMFIR_CONTINUE, "MAIL")
rcpt(conn, "<victim@elsewhere.example.org>", "esmtp", SMFIR_REPLYCODE,
     "relay refused")
mt.disconnect(conn)
