-- The local port comes from {daemon_port}: outside scope.ports the client
-- is not judged; missing or malformed, the port is unknown and judged as
-- locked (fail closed).
-- config: base.yaml
-- expect-log: spam.example.net [203.0.113.5]: stage=connect port=587 verdict=accept reason=port-not-locked entry=-
-- expect-log: spam.example.net [203.0.113.5]: stage=connect port=- verdict=reject reason=not-listed entry=- reply="554 5.7.1 Mail must arrive through the filtering service"
-- expect-log: mx1.mailroute.example [199.89.0.10]: stage=connect port=- verdict=accept reason=provider entry=mailroute match=range
-- expect-log: spam.example.net [203.0.113.5]: the MTA sent no {daemon_port}: the local port is unknown and judged as locked (logged once)
-- expect-log: spam.example.net [203.0.113.5]: invalid {daemon_port} "25x": the local port is unknown and judged as locked
-- expect-log: spam.example.net [203.0.113.5]: invalid {daemon_port} "65536": the local port is unknown and judged as locked
-- expect-log: spam.example.net [203.0.113.5]: invalid {daemon_port} "0587": the local port is unknown and judged as locked
-- expect-log: spam.example.net [203.0.113.5]: invalid {daemon_port} " 587": the local port is unknown and judged as locked
-- expect-log: counters: row=port-not-locked accept=1 continue=0 reject=0 tempfail=0 would-reject=0 would-tempfail=0
dofile(src .. "/common.lua")

check_connect("spam.example.net", "203.0.113.5", "587", SMFIR_ACCEPT)
check_connect("spam.example.net", "203.0.113.5", nil, SMFIR_REPLYCODE)
check_connect("mx1.mailroute.example", "199.89.0.10", nil, SMFIR_ACCEPT)
for _, bad in ipairs({"25x", "65536", "0587", " 587", ""}) do
    check_connect("spam.example.net", "203.0.113.5", bad, SMFIR_REPLYCODE)
end
