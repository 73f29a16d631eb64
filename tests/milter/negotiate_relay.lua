-- With relaying judged (relay.local_domains) the milter needs MAIL (for
-- SMTP AUTH) and RCPT; everything else stays off.
-- config: base.yaml
dofile(src .. "/common.lua")

local conn = open_milter()
local err = mt.negotiate(conn, nil, nil, nil)
if err ~= nil then
    error("negotiate: " .. err)
end
local want = {
    {"SMFIP_NOHELO", SMFIP_NOHELO, true},
    {"SMFIP_NOHDRS", SMFIP_NOHDRS, true},
    {"SMFIP_NOBODY", SMFIP_NOBODY, true},
    {"SMFIP_NOMAIL", SMFIP_NOMAIL, false},
    {"SMFIP_NORCPT", SMFIP_NORCPT, false},
}
for _, w in ipairs(want) do
    local got = mt.test_option(conn, w[2])
    if got ~= w[3] then
        error(string.format("%s: got %s, want %s", w[1], tostring(got),
                            tostring(w[3])))
    end
    mt.echo(string.format("ok  %s %s", w[1], tostring(got)))
end
mt.disconnect(conn)
