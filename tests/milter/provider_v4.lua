-- IPv4 providers: an enabled profile is accepted at connect, addresses of
-- disabled profiles are refused and the log names the disabled profile.
-- config: base.yaml
-- expect-log: mx1.mailroute.example [199.89.0.10]: stage=connect port=25 verdict=accept reason=provider entry=mailroute match=range
-- expect-log: mx9.mailroute.example [199.89.7.255]: stage=connect port=25 verdict=accept reason=provider entry=mailroute match=range
-- expect-log: postini.example [64.18.0.5]: stage=connect port=25 verdict=reject reason=not-listed entry=- disabled=postini reply="554 5.7.1 Mail must arrive through the filtering service"
-- expect-log: arrowmail.example [83.245.15.239]: stage=connect port=25 verdict=reject reason=not-listed entry=- disabled=arrowmail reply="554 5.7.1 Mail must arrive through the filtering service"
-- expect-log: next.example [199.89.8.0]: stage=connect port=25 verdict=reject reason=not-listed entry=- reply="554 5.7.1 Mail must arrive through the filtering service"
-- expect-log: counters: provider=mailroute accept=2 continue=0 reject=0 tempfail=0 would-reject=0 would-tempfail=0
-- expect-log: counters: provider=postini accept=0 continue=0 reject=1 tempfail=0 would-reject=0 would-tempfail=0
dofile(src .. "/common.lua")

check_connect("mx1.mailroute.example", "199.89.0.10", "25", SMFIR_ACCEPT)
check_connect("mx9.mailroute.example", "199.89.7.255", "25", SMFIR_ACCEPT)
check_connect("postini.example", "64.18.0.5", "25", SMFIR_REPLYCODE)
check_connect("arrowmail.example", "83.245.15.239", "25", SMFIR_REPLYCODE)
-- first address past MailRoute's /21
check_connect("next.example", "199.89.8.0", "25", SMFIR_REPLYCODE)
