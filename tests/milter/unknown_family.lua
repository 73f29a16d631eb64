-- No usable client address: unknown family (no address at all) and a unix
-- socket client get unknown_client (tempfail here), never accept. A MAIL
-- with no connect before it is an internal error: 451 4.3.0. A connection
-- reused after SMFIC_QUIT_NC has no negotiation of its own: a verdict that
-- needs a later stage cannot rely on it being sent, so it tempfails.
-- config: base.yaml
-- expect-log: nowhere.example [unknown]: stage=connect port=25 verdict=tempfail reason=unknown-client entry=- reply="451 4.7.1 Client address unknown, try again later"
-- expect-log: localhost [unix]: stage=connect port=25 verdict=tempfail reason=unknown-client entry=- reply="451 4.7.1 Client address unknown, try again later"
-- expect-log: unknown [unknown]: stage=mail port=- verdict=tempfail reason=internal-error entry=- reply="451 4.3.0 Internal error, try again later"
-- expect-log: counters: row=unknown-client accept=0 continue=0 reject=0 tempfail=2 would-reject=0 would-tempfail=0
-- expect-log: first.example [192.0.2.40]: stage=rcpt port=25 verdict=continue reason=local-recipient entry=lan match=range rcpt=<b@example.com>
-- expect-log: second.example [192.0.2.7]: stage=connect port=25 verdict=tempfail reason=stages-unknown entry=lan match=range reply="451 4.3.0 Internal error, try again later"
-- expect-log: counters: row=internal-error accept=0 continue=0 reject=0 tempfail=2 would-reject=0 would-tempfail=0
dofile(src .. "/common.lua")

check_connect("nowhere.example", "unspec", "25", SMFIR_REPLYCODE)
shell(string.format("python3 %s/rawclient.py %s unix 'y:451 4.7.1'", src,
                    sock))
shell(string.format("python3 %s/rawclient.py %s mail-first 'y:451 4.3.0'",
                    src, sock))
shell(string.format("python3 %s/rawclient.py %s reuse 'y:451 4.3.0'",
                    src, sock))
