-- Negotiation asks only for the stages the config needs. With nothing to
-- judge after connect (connect-only.yaml) MAIL and RCPT are switched off
-- too; the milter always asks for its macros itself (SETSYMLIST).
-- config: connect-only.yaml
-- expect-log: lan.example [192.0.2.7]: stage=connect port=25 verdict=accept reason=trusted entry=lan match=range
dofile(src .. "/common.lua")

local conn = open_milter()
local err = mt.negotiate(conn, nil, nil, nil)
if err ~= nil then
    error("negotiate: " .. err)
end
local want = {
    {"SMFIP_NOHELO", SMFIP_NOHELO, true},
    {"SMFIP_NOHDRS", SMFIP_NOHDRS, true},
    {"SMFIP_NOEOH", SMFIP_NOEOH, true},
    {"SMFIP_NOBODY", SMFIP_NOBODY, true},
    {"SMFIP_NOMAIL", SMFIP_NOMAIL, true},
    {"SMFIP_NORCPT", SMFIP_NORCPT, true},
    {"SMFIP_NOCONNECT", SMFIP_NOCONNECT, false},
}
for _, w in ipairs(want) do
    local got = mt.test_option(conn, w[2])
    if got ~= w[3] then
        error(string.format("%s: got %s, want %s", w[1], tostring(got),
                            tostring(w[3])))
    end
    mt.echo(string.format("ok  %s %s", w[1], tostring(got)))
end
if not mt.test_action(conn, SMFIF_SETSYMLIST) then
    error("SMFIF_SETSYMLIST: not requested")
end
mt.macro(conn, SMFIC_CONNECT, "{daemon_port}", "25")
err = mt.conninfo(conn, "lan.example", "192.0.2.7")
if err ~= nil then
    error("conninfo: " .. err)
end
want_reply(conn, SMFIR_ACCEPT, "trusted with nothing to judge later")
mt.disconnect(conn)
