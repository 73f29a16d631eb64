-- IPv4-mapped IPv6 (::ffff:a.b.c.d, as a dual-stack MTA reports IPv4
-- clients) is judged, and logged, as the IPv4 address: it can neither slip
-- past nor miss an IPv4 entry.
-- config: base.yaml
-- expect-log: mapped.example [199.89.0.10]: stage=connect port=25 verdict=accept reason=provider entry=mailroute match=range
-- expect-log: mapped.example [203.0.113.5]: stage=connect port=25 verdict=reject reason=not-listed entry=- reply="554 5.7.1 Mail must arrive through the filtering service"
-- expect-log: mapped.example [192.0.2.7]: stage=connect port=25 verdict=continue reason=trusted entry=lan match=range
-- expect-log: mapped.example [64.18.0.5]: stage=connect port=25 verdict=reject reason=not-listed entry=- disabled=postini reply="554 5.7.1 Mail must arrive through the filtering service"
dofile(src .. "/common.lua")

check_connect("mapped.example", "::ffff:199.89.0.10", "25", SMFIR_ACCEPT)
check_connect("mapped.example", "::ffff:203.0.113.5", "25", SMFIR_REPLYCODE)
check_connect("mapped.example", "::ffff:192.0.2.7", "25", SMFIR_CONTINUE)
check_connect("mapped.example", "::ffff:64.18.0.5", "25", SMFIR_REPLYCODE)
