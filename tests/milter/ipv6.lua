-- IPv6 clients: inside a v6 trusted entry, outside it, and the translated
-- forms that must stay IPv6 (NAT64, 6to4, IPv4-compatible): they name the
-- translator, never the provider's IPv4 address they embed.
-- config: base.yaml
-- expect-log: in6.example [2001:db8:1::25]: stage=connect port=25 verdict=continue reason=trusted entry=v6net match=range
-- expect-log: in6.example [2001:db8:1:ffff:ffff:ffff:ffff:ffff]: stage=connect port=25 verdict=continue reason=trusted entry=v6net match=range
-- expect-log: out6.example [2001:db8:2::1]: stage=connect port=25 verdict=reject reason=not-listed entry=- reply="554 5.7.1 Mail must arrive through the filtering service"
-- expect-log: nat64.example [64:ff9b::c759:a]: stage=connect port=25 verdict=reject reason=not-listed entry=- reply="554 5.7.1 Mail must arrive through the filtering service"
-- expect-log: sixtofour.example [2002:c759:a::1]: stage=connect port=25 verdict=reject reason=not-listed entry=- reply="554 5.7.1 Mail must arrive through the filtering service"
-- expect-log: compat.example [::199.89.0.10]: stage=connect port=25 verdict=reject reason=not-listed entry=- reply="554 5.7.1 Mail must arrive through the filtering service"
-- expect-log: lo6.example [::1]: stage=connect port=25 verdict=reject reason=not-listed entry=- reply="554 5.7.1 Mail must arrive through the filtering service"
dofile(src .. "/common.lua")

-- v6net is relay: false and relaying is judged, so connect continues
check_connect("in6.example", "2001:db8:1::25", "25", SMFIR_CONTINUE)
check_connect("in6.example", "2001:db8:1:ffff:ffff:ffff:ffff:ffff", "25",
              SMFIR_CONTINUE)
check_connect("out6.example", "2001:db8:2::1", "25", SMFIR_REPLYCODE)
check_connect("nat64.example", "64:ff9b::c759:a", "25", SMFIR_REPLYCODE)
check_connect("sixtofour.example", "2002:c759:a::1", "25", SMFIR_REPLYCODE)
check_connect("compat.example", "::199.89.0.10", "25", SMFIR_REPLYCODE)
check_connect("lo6.example", "::1", "25", SMFIR_REPLYCODE)
