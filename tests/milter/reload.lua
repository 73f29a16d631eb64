-- SIGUSR1 reloads: a new config flips a verdict without a restart, a
-- connection that negotiated before the reload keeps the config it
-- started with, and a broken config is refused with file:line:col while
-- the current one stays.
-- config: base.yaml
-- expect-log: partner.example [203.0.113.5]: stage=connect port=25 verdict=reject reason=not-listed entry=- reply="554 5.7.1 Mail must arrive through the filtering service"
-- expect-log: partner.example [203.0.113.5]: stage=connect port=25 verdict=accept reason=trusted entry=partner match=range
-- expect-log: early.example [203.0.113.6]: stage=connect port=25 verdict=reject reason=not-listed entry=- reply="554 5.7.1 Mail must arrive through the filtering service"
-- expect-log: after-bad.example [203.0.113.7]: stage=connect port=25 verdict=accept reason=trusted entry=partner match=range
-- expect-log: counters: trusted=partner accept=2 continue=0 reject=0 tempfail=0 would-reject=0 would-tempfail=0
dofile(src .. "/common.lua")

check_connect("partner.example", "203.0.113.5", "25", SMFIR_REPLYCODE)

-- negotiate now: this connection holds the first config
local early = open_milter()
local err = mt.negotiate(early, nil, nil, nil)
if err ~= nil then
    error("negotiate: " .. err)
end

shell(string.format("cp %s/configs/reload-b.yaml %s/lockdown.yaml", src, dir))
shell("kill -USR1 " .. pid)
wait_log("reloaded configuration " .. dir .. "/lockdown.yaml", 10)

check_connect("partner.example", "203.0.113.5", "25", SMFIR_ACCEPT)

mt.macro(early, SMFIC_CONNECT, "{daemon_port}", "25")
err = mt.conninfo(early, "early.example", "203.0.113.6")
if err ~= nil then
    error("conninfo: " .. err)
end
want_reply(early, SMFIR_REPLYCODE, "connection from before the reload")
mt.disconnect(early)

shell(string.format("cp %s/configs/reload-bad.yaml %s/lockdown.yaml", src,
                    dir))
shell("kill -USR1 " .. pid)
wait_log("reload failed, keeping the current configuration: " .. dir ..
         "/lockdown.yaml:8:14: trusted[0].ranges: \"198.51.100.1/24\": " ..
         "host bits set, did you mean \"198.51.100.0/24\"?", 10)
check_connect("after-bad.example", "203.0.113.7", "25", SMFIR_ACCEPT)

shell("kill -USR2 " .. pid)
wait_log("counters (SIGUSR2):", 10)
