-- mode: monitor refuses nothing and logs what enforce would have done.
-- config: monitor.yaml
-- expect-log: spam.example.net [203.0.113.5]: stage=connect port=25 verdict=would-reject reason=not-listed entry=- reply="554 5.7.1 Mail must arrive through the filtering service"
-- expect-log: copier.example [192.0.2.40]: stage=rcpt port=25 verdict=would-reject reason=relay-denied entry=lan match=range rcpt=<victim@elsewhere.example.org> reply="554 5.7.1 Relay access denied"
-- expect-log: nowhere.example [unknown]: stage=connect port=25 verdict=would-tempfail reason=unknown-client entry=- reply="451 4.7.1 Client address unknown, try again later"
-- expect-log: mx1.mailroute.example [199.89.0.10]: stage=connect port=25 verdict=accept reason=provider entry=mailroute match=range
-- expect-log: spam.example.net [203.0.113.5]: stage=mail port=25 verdict=continue reason=not-listed entry=-
-- expect-log: counters: row=not-listed accept=0 continue=1 reject=0 tempfail=0 would-reject=1 would-tempfail=0
-- forbid-log: verdict=reject
-- forbid-log: verdict=tempfail
dofile(src .. "/common.lua")

local conn = client("spam.example.net", "203.0.113.5", "25")
want_reply(conn, SMFIR_CONTINUE, "outsider in monitor mode")
mail(conn, "<spam@example.net>", nil, SMFIR_CONTINUE, "MAIL")
mt.disconnect(conn)

conn = client("copier.example", "192.0.2.40", "25")
want_reply(conn, SMFIR_CONTINUE, "trusted relay: false")
mail(conn, "<scan@example.com>", nil, SMFIR_CONTINUE, "MAIL")
rcpt(conn, "<victim@elsewhere.example.org>", "esmtp", SMFIR_CONTINUE,
     "relay in monitor mode")
mt.disconnect(conn)

check_connect("nowhere.example", "unspec", "25", SMFIR_CONTINUE)
check_connect("mx1.mailroute.example", "199.89.0.10", "25", SMFIR_ACCEPT)
