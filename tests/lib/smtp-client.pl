#!/usr/bin/perl
# smtp-client.pl - a small SMTP client for the integration tests and the
# quick start: one session, every reply code recorded, XCLIENT spoken.
#
#   perl tests/lib/smtp-client.pl [options]
#     --server HOST:PORT   where to connect (default 127.0.0.1:25); loopback only
#     --local ADDR         bind the client socket to ADDR (a 127.x alias)
#     --helo NAME          EHLO name (default client.example.test)
#     --xclient 'ATTRS'    after EHLO send "XCLIENT ATTRS" (Postfix), e.g.
#                          'ADDR=192.0.2.1 NAME=[UNAVAILABLE]' or add LOGIN=user;
#                          then EHLO again, as the session restarts
#     --from ADDR          MAIL FROM (default sender@example.org)
#     --to ADDR            RCPT TO, repeatable (default postmaster@example.test)
#     --data               send a short message after the recipients
#     --timeout SECS       per reply (default 15); after a timeout the
#                          remaining steps are skipped
#     --transcript FILE    append the dialogue ("-> " sent, "<- " received)
#     --hold FILE          after MAIL, write "== held" to the transcript and
#                          wait (at most 60 s) until FILE exists before the
#                          recipients: a test can change something (reload
#                          the milter) in the middle of a session
#
# It presses on after refusals (like a spammer would), so a test can check
# that nothing is accepted after a refused connect, and prints one summary
# line on stdout, each step's reply code, "-" when the step got no reply:
#   banner=220 ehlo=250 xclient=220 ehlo2=250 mail=250 rcpt=250,554 quit=221
# followed by "text.STEP=..." lines holding the last line of each reply.
# Exit status: 0 when the dialogue ran (whatever the codes), 2 when it could
# not connect at all, 64 on bad usage.
use strict;
use warnings;
use Getopt::Long;
use IO::Socket::INET;

my %o = (server => '127.0.0.1:25', helo => 'client.example.test',
         from => 'sender@example.org', timeout => 15);
my @to;
GetOptions(\%o, 'server=s', 'local=s', 'helo=s', 'xclient=s', 'from=s',
           'to=s' => \@to, 'data', 'timeout=i', 'transcript=s', 'hold=s')
    or exit 64;
@to = ('postmaster@example.test') unless @to;

my ($host, $port) = $o{server} =~ /^(.+):(\d+)$/ or die "bad --server\n";
# The tests promise that no traffic leaves loopback: refuse anything else.
for my $a ($host, $o{local} // '127.0.0.1') {
    die "smtp-client: $a is not a loopback address\n"
        unless $a =~ /^127\.\d+\.\d+\.\d+$/ || $a eq '::1';
}

my $tr;
if ($o{transcript}) {
    open($tr, '>>', $o{transcript}) or die "$o{transcript}: $!\n";
    $tr->autoflush(1);
}
sub note { print $tr @_ if $tr }

my @steps;  # [name, code, last line]
my $sock = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port,
                                 ($o{local} ? (LocalAddr => $o{local}) : ()),
                                 Proto => 'tcp', Timeout => $o{timeout});
if (!$sock) {
    print "connect=failed\n";
    print STDERR "smtp-client: connect to $o{server}: $@\n";
    exit 2;
}
note("== $o{server}" . ($o{local} ? " from $o{local}" : '') . "\n");
my $open = 1;

# One reply, possibly multi-line; returns (code, last line) or ('-', why).
sub reply {
    my ($code, $last) = ('-', 'connection closed');
    return ($code, $last) unless $open;
    my $line;
    while (1) {
        $line = eval {
            local $SIG{ALRM} = sub { die "timeout\n" };
            alarm $o{timeout};
            my $l = <$sock>;
            alarm 0;
            $l;
        };
        # After a timeout the dialogue is out of step: stop here.
        if ($@) { alarm 0; $open = 0; return ('-', 'timeout') }
        if (!defined $line) { $open = 0; return ('-', 'connection closed') }
        note("<- $line");
        $line =~ s/\r?\n$//;
        last if $line =~ /^\d{3}(?: |$)/;
    }
    ($code) = $line =~ /^(\d{3})/;
    return ($code, $line);
}

sub step {
    my ($name, $cmd) = @_;
    if (defined $cmd) {
        if (!$open) { push @steps, [$name, '-', 'connection closed']; return '-' }
        my $n = () = $cmd =~ /\r\n/g;
        note($n ? "-> (message: " . ($n + 1) . " lines, up to the final \".\")\n" : "-> $cmd\n");
        print $sock "$cmd\r\n";
    }
    my ($code, $line) = reply();
    push @steps, [$name, $code, $line];
    return $code;
}

step('banner');
step('ehlo', "EHLO $o{helo}");
if (defined $o{xclient}) {
    my $c = step('xclient', "XCLIENT $o{xclient}");
    # A successful XCLIENT restarts the session with a new greeting.
    step('ehlo2', "EHLO $o{helo}") if $c =~ /^2/;
}
step('mail', "MAIL FROM:<$o{from}>");
if (defined $o{hold}) {
    note("== held\n");
    my $t = time + 60;
    select(undef, undef, undef, 0.05) while !-e $o{hold} && time < $t;
    note("== released\n");
}
step('rcpt', "RCPT TO:<$_>") for @to;
if ($o{data}) {
    my $c = step('data', 'DATA');
    if ($c eq '354') {
        my $msg = "From: <$o{from}>\r\nTo: <$to[0]>\r\nSubject: lockdown test\r\n\r\ntest\r\n.";
        step('message', $msg);
    }
}
step('quit', 'QUIT');
close $sock;

# Summary: the rcpt steps are folded into one comma-separated field.
my (@order, %codes, %text);
for my $s (@steps) {
    my ($n, $c, $l) = @$s;
    push @order, $n unless exists $codes{$n};
    $codes{$n} = exists $codes{$n} ? "$codes{$n},$c" : $c;
    $text{$n} = $l;
}
print join(' ', map { "$_=$codes{$_}" } @order), "\n";
print "text.$_=$text{$_}\n" for @order;
exit 0;
