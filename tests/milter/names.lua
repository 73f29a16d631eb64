-- The verified client name ({client_name}, with Sendmail's
-- {client_resolve}) against the profiles' hostnames: a MailRoute name from
-- an address outside every range gets the drift reply (451, logged at
-- warning with the name), never an accept; anything that is not a verified
-- host name gets the usual 554.
-- config: base.yaml
-- expect-log: mx9.mailroute.net [203.0.113.5]: stage=connect port=25 verdict=tempfail reason=provider-name-unlisted entry=mailroute name=mx9.mailroute.net reply="451 4.7.1 Provider server not in the lockdown ranges, try again later"
-- expect-log: MX9.MailRoute.NET. [203.0.113.6]: stage=connect port=25 verdict=tempfail reason=provider-name-unlisted entry=mailroute name=MX9.MailRoute.NET. reply="451 4.7.1 Provider server not in the lockdown ranges, try again later"
-- expect-log: sm.mailroute.net [203.0.113.7]: stage=connect port=25 verdict=tempfail reason=provider-name-unlisted entry=mailroute name=sm.mailroute.net reply="451 4.7.1 Provider server not in the lockdown ranges, try again later"
-- expect-log: unknown [203.0.113.8]: stage=connect port=25 verdict=reject reason=not-listed entry=- reply="554 5.7.1 Mail must arrive through the filtering service"
-- expect-log: mx.postini.example [2001:db8:2::5]: stage=connect port=25 verdict=tempfail reason=provider-name-unlisted entry=mailroute name=a.mailroute.net reply="451 4.7.1 Provider server not in the lockdown ranges, try again later"
-- expect-log: counters: provider=mailroute accept=1 continue=0 reject=0 tempfail=5 would-reject=0 would-tempfail=0
-- forbid-log: name=mailroute.net
-- forbid-log: name=forged.mailroute.net
dofile(src .. "/common.lua")

-- connect with {client_name} (and {client_resolve} when not nil)
local function named(host, ip, name, resolve, want, what)
    local conn = open_milter()
    if resolve ~= nil then
        mt.macro(conn, SMFIC_CONNECT, "{daemon_port}", "25",
                 "{client_name}", name, "{client_resolve}", resolve)
    elseif name ~= nil then
        mt.macro(conn, SMFIC_CONNECT, "{daemon_port}", "25",
                 "{client_name}", name)
    else
        mt.macro(conn, SMFIC_CONNECT, "{daemon_port}", "25")
    end
    local err = mt.conninfo(conn, host, ip)
    if err ~= nil then
        error("conninfo: " .. err)
    end
    want_reply(conn, want, what)
    mt.disconnect(conn)
end

-- Postfix style: {client_name} is verified unless "unknown"
named("mx9.mailroute.net", "203.0.113.5", "mx9.mailroute.net", nil,
      SMFIR_REPLYCODE, "verified MailRoute name, unlisted address")
named("MX9.MailRoute.NET.", "203.0.113.6", "MX9.MailRoute.NET.", nil,
      SMFIR_REPLYCODE, "any case, trailing dot")
named("unknown", "203.0.113.8", "unknown", nil, SMFIR_REPLYCODE,
      "Postfix's unverified name")
named("x.example", "203.0.113.9", "mailroute.net", nil, SMFIR_REPLYCODE,
      "the domain itself is not below it")
named("x.example", "203.0.113.10", "", nil, SMFIR_REPLYCODE, "empty name")
named("x.example", "203.0.113.11", "[203.0.113.11]", nil, SMFIR_REPLYCODE,
      "address literal")
named("x.example", "203.0.113.12", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.mailroute.net", nil, SMFIR_REPLYCODE,
      "255 bytes and more")
named("x.example", "203.0.113.13", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.mailroute.net", nil, SMFIR_REPLYCODE,
      "253 bytes is a name")
named("x.example", "203.0.113.14", "mx\xc3\xa9.mailroute.net", nil,
      SMFIR_REPLYCODE, "non-ASCII bytes")
named("x.example", "203.0.113.15", "mx1.mailroute.net.evil.example", nil,
      SMFIR_REPLYCODE, "MailRoute's name as a prefix")
-- Sendmail style: only {client_resolve} OK verifies
named("sm.mailroute.net", "203.0.113.7", "sm.mailroute.net", "OK",
      SMFIR_REPLYCODE, "Sendmail, resolve OK")
named("x.example", "203.0.113.16", "forged.mailroute.net", "FORGED",
      SMFIR_REPLYCODE, "Sendmail, FORGED")
named("x.example", "203.0.113.17", "forged.mailroute.net", "FAIL",
      SMFIR_REPLYCODE, "Sendmail, FAIL")
named("x.example", "203.0.113.18", "forged.mailroute.net", "TEMP",
      SMFIR_REPLYCODE, "Sendmail, TEMP")
-- IPv6, and an address of a disabled profile with a MailRoute name
named("mx.postini.example", "2001:db8:2::5", "a.mailroute.net", nil,
      SMFIR_REPLYCODE, "IPv6")
-- a listed address is accepted, whatever its name
named("mx1.mailroute.net", "199.89.0.10", "anything.example", nil,
      SMFIR_ACCEPT, "listed address")
