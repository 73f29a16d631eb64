-- An outsider on the locked port gets the configured reply (a custom
-- reply: SMFIR_REPLYCODE), logged with its text.
-- config: base.yaml
-- expect-log: spam.example.net [203.0.113.5]: stage=connect port=25 verdict=reject reason=not-listed entry=- reply="554 5.7.1 Mail must arrive through the filtering service"
-- expect-log: unknown [198.51.100.77]: stage=connect port=25 verdict=reject reason=not-listed entry=- reply="554 5.7.1 Mail must arrive through the filtering service"
-- expect-log: counters: row=not-listed accept=0 continue=0 reject=2 tempfail=0 would-reject=0 would-tempfail=0
dofile(src .. "/common.lua")

check_connect("spam.example.net", "203.0.113.5", "25", SMFIR_REPLYCODE)
-- Postfix passes "unknown" when the client has no name
check_connect("unknown", "198.51.100.77", "25", SMFIR_REPLYCODE)
