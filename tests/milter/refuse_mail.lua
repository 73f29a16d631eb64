-- refuse.at: mail: an outsider gets through connect; MAIL without SMTP
-- AUTH is refused (every time), MAIL with {auth_authen} goes on, and the
-- authenticated user may relay.
-- config: refuse-mail.yaml
-- expect-log: roaming.example [203.0.113.9]: stage=connect port=25 verdict=continue reason=deferred entry=-
-- expect-log: roaming.example [203.0.113.9]: stage=mail port=25 verdict=reject reason=not-listed entry=- reply="554 5.7.1 Mail must arrive through the filtering service"
-- expect-log: roaming.example [203.0.113.9]: stage=mail port=25 verdict=continue reason=authenticated entry=- user=alice
-- expect-log: roaming.example [203.0.113.9]: stage=rcpt port=25 verdict=continue reason=authenticated entry=- rcpt=<friend@elsewhere.example.org>
-- expect-log: roaming.example [203.0.113.9]: stage=rcpt port=25 verdict=continue reason=local-recipient entry=- rcpt=<bob@example.com>
-- expect-log: postini.example [64.18.0.5]: stage=mail port=25 verdict=reject reason=not-listed entry=- disabled=postini reply="554 5.7.1 Mail must arrive through the filtering service"
-- expect-log: mx1.mailroute.example [199.89.0.10]: stage=connect port=25 verdict=accept reason=provider entry=mailroute match=range
dofile(src .. "/common.lua")

local conn = client("roaming.example", "203.0.113.9", "25")
want_reply(conn, SMFIR_CONTINUE, "connect outsider, refusal deferred")
mail(conn, "<spam@example.net>", nil, SMFIR_REPLYCODE, "anonymous MAIL")
mail(conn, "<spam@example.net>", "", SMFIR_REPLYCODE,
     "MAIL with empty {auth_authen}")
mail(conn, "<alice@example.com>", "alice", SMFIR_CONTINUE,
     "authenticated MAIL")
rcpt(conn, "<friend@elsewhere.example.org>", "esmtp", SMFIR_CONTINUE,
     "authenticated relay")
rcpt(conn, "<bob@example.com>", "esmtp", SMFIR_CONTINUE, "local recipient")
mt.disconnect(conn)

conn = client("postini.example", "64.18.0.5", "25")
want_reply(conn, SMFIR_CONTINUE, "connect disabled profile, deferred")
mail(conn, "<x@example.net>", nil, SMFIR_REPLYCODE, "anonymous MAIL")
mt.disconnect(conn)

check_connect("mx1.mailroute.example", "199.89.0.10", "25", SMFIR_ACCEPT)
