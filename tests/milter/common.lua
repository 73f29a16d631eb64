-- common.lua - helpers for the lockdown-milter miltertest cases.
-- The driver (run-case.sh) defines: sock (unix:PATH), pid (the daemon),
-- dir (the case's temp dir, lockdown.yaml inside), log (the daemon's
-- stderr), src (this directory).

local reply_names = {
    [SMFIR_CONTINUE] = "continue",
    [SMFIR_ACCEPT] = "accept",
    [SMFIR_REJECT] = "reject",
    [SMFIR_TEMPFAIL] = "tempfail",
    [SMFIR_REPLYCODE] = "replycode",
}

local function reply_name(r)
    return reply_names[r] or tostring(r)
end

-- A new milter connection, retried while the daemon starts.
function open_milter()
    local conn = mt.connect(sock, 50, 0.1)
    if conn == nil then
        error("cannot connect to " .. sock)
    end
    return conn
end

-- Connect stage for one client; port nil sends no {daemon_port}.
function client(host, ip, port)
    local conn = open_milter()
    if port ~= nil then
        mt.macro(conn, SMFIC_CONNECT, "{daemon_port}", port,
                 "{daemon_name}", "test")
    end
    local err = mt.conninfo(conn, host, ip)
    if err ~= nil then
        error(string.format("conninfo %s %s: %s", host, ip, err))
    end
    return conn
end

function want_reply(conn, want, what)
    local got = mt.getreply(conn)
    if got ~= want then
        error(string.format("%s: got reply %s, want %s", what,
                            reply_name(got), reply_name(want)))
    end
    mt.echo(string.format("ok  %s: %s", what, reply_name(got)))
end

-- Connect and check the reply, then disconnect.
function check_connect(host, ip, port, want)
    local conn = client(host, ip, port)
    want_reply(conn, want, string.format("connect %s port %s", ip,
                                         tostring(port)))
    mt.disconnect(conn)
end

function mail(conn, from, auth_user, want, what)
    if auth_user ~= nil then
        mt.macro(conn, SMFIC_MAIL, "{auth_authen}", auth_user,
                 "{auth_type}", "PLAIN")
    else
        mt.macro(conn, SMFIC_MAIL, "{mail_mailer}", "esmtp")
    end
    local err = mt.mailfrom(conn, from)
    if err ~= nil then
        error(what .. ": mailfrom: " .. err)
    end
    want_reply(conn, want, what)
end

function rcpt(conn, to, mailer, want, what)
    mt.macro(conn, SMFIC_RCPT, "{rcpt_mailer}", mailer,
             "{rcpt_addr}", to, "{rcpt_host}", "relay.example.net")
    local err = mt.rcptto(conn, to)
    if err ~= nil then
        error(what .. ": rcptto: " .. err)
    end
    want_reply(conn, want, what)
end

local function read_file(path)
    local f = io.open(path, "r")
    if f == nil then
        return ""
    end
    local text = f:read("a")
    f:close()
    return text or ""
end

-- Wait until the daemon log holds text (plain), at most seconds.
function wait_log(text, seconds)
    local deadline = os.time() + seconds
    repeat
        if string.find(read_file(log), text, 1, true) ~= nil then
            return
        end
        mt.sleep(0.05)
    until os.time() > deadline
    error("daemon log never showed: " .. text)
end

function shell(cmd)
    local ok, how, code = os.execute(cmd)
    if not ok then
        error(string.format("command failed (%s %s): %s", tostring(how),
                            tostring(code), cmd))
    end
end
