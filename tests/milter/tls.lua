-- TLS identity macros at MAIL, as the MTA could hand them over: only a
-- certificate name the MTA verified (Postfix: a non-empty {cert_subject};
-- Sendmail: {verify} exactly OK, the name from {cn_subject}) that matches
-- tlsroute's tls_names lets an outsider in. Empty, overlong and spliced
-- names are refused, and so is every {verify} but OK, even with the
-- right {cn_subject}.
-- config: tls.yaml
-- expect-log: out.example [203.0.113.9]: stage=connect port=25 verdict=continue reason=deferred entry=-
-- expect-log: out.example [203.0.113.9]: stage=mail port=25 verdict=accept reason=tls-name entry=tlsroute match=tls-name cert="mx1.mailroute.test" issuer="Test CA"
-- expect-log: out.example [203.0.113.9]: stage=mail port=25 verdict=accept reason=tls-name entry=tlsroute match=tls-name cert="/CN=mx1.mailroute.test" verify=OK
-- expect-log: out.example [203.0.113.9]: stage=mail port=25 verdict=reject reason=not-listed entry=- reply="554 5.7.1 Mail must arrive through the filtering service" cert="evil.test/CN=mx1.mailroute.test"
-- expect-log: out.example [203.0.113.9]: stage=mail port=25 verdict=reject reason=not-listed entry=- reply="554 5.7.1 Mail must arrive through the filtering service" cert="/CN=mx1.mailroute.test" verify=FAIL
-- forbid-log: verdict=tempfail
dofile(src .. "/common.lua")

local OUT_HOST, OUT_IP = "out.example", "203.0.113.9"

-- tls_mail WHAT WANT NAME VALUE...: a fresh outsider session, then MAIL
-- with exactly these macros.
local function tls_mail(what, want, ...)
    local conn = client(OUT_HOST, OUT_IP, "25")
    want_reply(conn, SMFIR_CONTINUE, what .. ": connect deferred")
    mt.macro(conn, SMFIC_MAIL, "{mail_mailer}", "esmtp", ...)
    local err = mt.mailfrom(conn, "<sender@example.net>")
    if err ~= nil then
        error(what .. ": mailfrom: " .. err)
    end
    want_reply(conn, want, what)
    mt.disconnect(conn)
end

-- Controls: the right name, verified, is let in (both MTAs' ways).
tls_mail("Postfix: {cert_subject} mx1.mailroute.test", SMFIR_ACCEPT,
         "{cert_subject}", "mx1.mailroute.test", "{cert_issuer}", "Test CA")
tls_mail("Sendmail: {verify} OK, {cn_subject} mx1.mailroute.test",
         SMFIR_ACCEPT, "{verify}", "OK", "{cn_subject}", "mx1.mailroute.test",
         "{cert_subject}", "/CN=mx1.mailroute.test")

-- Postfix: no usable name.
tls_mail("Postfix: empty {cert_subject}", SMFIR_REPLYCODE,
         "{cert_subject}", "")
tls_mail("Postfix: {cert_subject} of 900 characters (miltertest sends no more)", SMFIR_REPLYCODE,
         "{cert_subject}", string.rep("a", 885) .. ".mailroute.test")
tls_mail("Postfix: {cert_subject} of 300 characters", SMFIR_REPLYCODE,
         "{cert_subject}", string.rep("b", 280) .. ".mailroute.test")
-- A "/CN=" inside a CN: the name is the whole string, not its tail.
tls_mail("Postfix: '/CN=' spliced into {cert_subject}", SMFIR_REPLYCODE,
         "{cert_subject}", "evil.test/CN=mx1.mailroute.test")
tls_mail("Postfix: a DN in {cert_subject}", SMFIR_REPLYCODE,
         "{cert_subject}", "/O=Evil/CN=mx1.mailroute.test")
tls_mail("Postfix: the suffix as a label", SMFIR_REPLYCODE,
         "{cert_subject}", "mx1.mailroute.test.evil.test")
tls_mail("Sendmail: '/CN=' spliced into {cn_subject}", SMFIR_REPLYCODE,
         "{verify}", "OK", "{cn_subject}", "evil.test/CN=mx1.mailroute.test")
tls_mail("Sendmail: {verify} OK, empty {cn_subject}", SMFIR_REPLYCODE,
         "{verify}", "OK", "{cn_subject}", "",
         "{cert_subject}", "/CN=mx1.mailroute.test")
tls_mail("Sendmail: {verify} OK, no {cn_subject}", SMFIR_REPLYCODE,
         "{verify}", "OK", "{cert_subject}", "mx1.mailroute.test")

-- Sendmail: every {verify} but OK, with the right {cn_subject}; and a
-- {verify} present overrides {cert_subject}, so it cannot be smuggled in.
for _, v in ipairs({"FAIL", "NO", "NONE", "TEMP", "SOFTWARE", "PROTOCOL",
                    "CLEAR", "NOT", "ok", "OK ", " OK", ""}) do
    tls_mail(string.format("Sendmail: {verify} '%s'", v), SMFIR_REPLYCODE,
             "{verify}", v, "{cn_subject}", "mx1.mailroute.test",
             "{cert_subject}", "/CN=mx1.mailroute.test")
end
