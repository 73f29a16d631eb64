#!/usr/bin/python3
"""summarize.py - turn run.sh's raw samples into the results table.

usage: summarize.py RAW.csv META.txt OUT.md OUT.csv

RAW.csv rows: section,bench,impl,param,metric,value,rep (param is the
number of prefixes for lookups, the concurrency otherwise). Every figure is
reported as the median and the min-max over the repetitions; every ratio
is computed per repetition from runs of the same repetition (they ran
interleaved), then summarized the same way. Prints each target and whether
it was met; exit status 0 either way (run.sh decides what fails).
"""

import csv
import statistics
import sys
from collections import defaultdict


def fmt(v, digits=None):
    if v is None:
        return "n/a"
    if digits is None:
        a = abs(v)
        digits = 0 if a >= 1000 else 1 if a >= 10 else 2 if a >= 1 else 3
    return "{:,.{}f}".format(v, digits)


class Samples:
    def __init__(self, path):
        self.s = defaultdict(dict)  # (bench, impl, param, metric) -> rep->v
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                try:
                    v = float(row["value"])
                except ValueError:
                    continue
                key = (row["bench"], row["impl"], row["param"], row["metric"])
                rep = row["rep"]
                # Several rows for one rep (a program's own repetitions):
                # keep them all as separate samples.
                while rep in self.s[key]:
                    rep += "+"
                self.s[key][rep] = v

    def reps(self, bench, impl, param, metric):
        return self.s.get((bench, impl, str(param), metric), {})

    def values(self, bench, impl, param, metric):
        return list(self.reps(bench, impl, param, metric).values())

    def params(self, bench, impl=None):
        ps = {k[2] for k in self.s if k[0] == bench and
              (impl is None or k[1] == impl)}
        return sorted(ps, key=lambda p: float(p) if p.replace(
            ".", "").isdigit() else 0)

    def impls(self, bench):
        return sorted({k[1] for k in self.s if k[0] == bench})


def paired(a, b, op):
    """Per-repetition combination of two rep->value maps."""
    out = []
    for rep, va in a.items():
        vb = b.get(rep)
        if vb is None:
            continue
        try:
            out.append(op(va, vb))
        except ZeroDivisionError:
            pass
    return out


def summary(vals):
    if not vals:
        return None
    return (statistics.median(vals), min(vals), max(vals), len(vals))


def cell(vals, digits=None):
    s = summary(vals)
    if s is None:
        return "n/a"
    med, lo, hi, n = s
    if n == 1 or lo == hi:
        return fmt(med, digits)
    return "%s [%s–%s]" % (fmt(med, digits), fmt(lo, digits), fmt(hi, digits))


class Report:
    def __init__(self, samples):
        self.S = samples
        self.targets = []  # (section, name, vals, goal_text, met)
        self.derived = []  # rows for latest.csv

    def derive(self, bench, impl, param, metric, vals):
        s = summary(vals)
        if s is not None:
            self.derived.append((bench, impl, param, metric) + s)

    def target(self, section, name, vals, op, goal, goal_text, digits=None):
        s = summary(vals)
        if s is None:
            met = None
        else:
            met = s[0] >= goal if op == ">=" else s[0] <= goal
        self.targets.append((section, name, cell(vals, digits), goal_text,
                             met))


def lookup_section(R, out):
    S = R.S
    if not S.params("lookup", "addrset"):
        out.append("\n## Lookup\n\nNot run (bench_lookup not built, or "
                   "skipped).\n")
        return
    sizes = S.params("lookup", "addrset")
    base = "10" if "10" in sizes else sizes[0]
    out.append("\n## Lookup\n")
    out.append("Seeded prefix sets (80%% IPv4, mostly /24; 20%% IPv6 "
               "/32–/48), queries half hits, half misses. addrset and the "
               "in-process linear first-match scan (Postfix cidr_match "
               "style) from `bench_lookup`; Postfix itself is "
               "`postmap -q - cidr:FILE` over the first queries of the same "
               "list, its fixed start-up cost (the same queries against the "
               "%s-prefix table) subtracted; \"postmap exact\" subtracts instead the same "
               "table's load (one query). Median [min–max] over the "
               "repetitions.\n" % base)
    out.append("| prefixes | addrset ns p50 | addrset ns mean | linear ns "
               "mean | postmap ns/lookup | postmap exact | postmap ÷ "
               "addrset | build ms | bytes/prefix | RSS bytes/prefix | "
               "mismatches |")
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ratios = {}
    for n in sizes:
        p50 = S.values("lookup", "addrset", n, "ns_p50")
        mean = S.reps("lookup", "addrset", n, "ns_mean")
        lin = S.values("lookup", "linear", n, "ns_mean")
        wall = S.reps("postmap", "postmap", n, "wall_ms")
        wall0 = S.reps("postmap", "postmap", n, "base_ms")
        load = S.reps("postmap", "postmap", n, "load_ms")
        q = S.values("postmap", "postmap", n, "queries")
        pm = {}
        pm_exact = []
        if q and n != base:
            nq = q[0]
            pm = {r: (wall[r] - wall0[r]) / nq * 1e6 for r in wall
                  if r in wall0}
            pm_exact = paired(wall, load,
                              lambda a, b: (a - b) / max(nq - 1, 1) * 1e6)
        ratios[n] = paired(pm, mean, lambda a, b: a / b)
        R.derive("postmap", "postmap", n, "ns_per_lookup", list(pm.values()))
        R.derive("postmap", "postmap", n, "ns_per_lookup_exact", pm_exact)
        R.derive("lookup", "postmap/addrset", n, "ratio", ratios[n])
        mism = (S.values("lookup", "addrset", n, "mismatches") +
                S.values("lookup", "linear", n, "mismatches"))
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |"
                   % (fmt(float(n), 0), cell(p50), cell(list(mean.values())),
                      cell(lin), cell(list(pm.values())), cell(pm_exact),
                      cell(ratios[n], 0),
                      cell(S.values("lookup", "addrset", n, "build_ms")),
                      cell(S.values("lookup", "addrset", n,
                                    "bytes_per_prefix")),
                      cell(S.values("lookup", "addrset", n,
                                    "rss_bytes_per_prefix")),
                      fmt(sum(mism), 0) if mism else "n/a"))
    big = sizes[-1]
    R.target("Lookup", "p50 ns/lookup at %s prefixes" % fmt(float(big), 0),
             S.values("lookup", "addrset", big, "ns_p50"), "<=", 100,
             "≤ 100 ns")
    R.target("Lookup", "faster than Postfix's cidr: table at %s prefixes "
             "(mean ns ratio)" % fmt(float(big), 0), ratios[big], ">=",
             10000, "≥ 10,000×", 0)
    bpp = S.values("lookup", "addrset", big, "rss_bytes_per_prefix") or \
        S.values("lookup", "addrset", big, "bytes_per_prefix")
    R.target("Lookup", "bytes per prefix (RSS delta) at %s" %
             fmt(float(big), 0), bpp, "<=", 16, "≤ 16")
    R.target("Lookup", "build time at %s prefixes (ms)" % fmt(float(big), 0),
             S.values("lookup", "addrset", big, "build_ms"), "<=", 1000,
             "≤ 1,000 ms")
    mism = []
    for n in sizes:
        for impl in ("addrset", "linear"):
            mism += S.values("lookup", impl, n, "mismatches")
    R.target("Lookup", "differential mismatches (all sizes, per repetition)",
             [sum(mism)] if mism else [], "<=", 0, "0", 0)


SESSION_IMPLS = [
    ("lockdown", "lockdown-milter"),
    ("null", "null libmilter milter"),
    ("pymilter", "pymilter script"),
    ("lockdown-1m", "lockdown-milter, 1M prefixes"),
    ("pymilter-1m", "pymilter script, 1M prefixes"),
]


def sessions_section(R, out):
    S = R.S
    concs = S.params("sessions")
    if not concs:
        out.append("\n## Milter sessions\n\nNot run.\n")
        return
    out.append("\n## Milter sessions\n")
    out.append("`miltergen` plays the MTA (milter protocol 6) over a unix "
               "socket: negotiate, connect macros, CONNECT, reply, QUIT; "
               "half the clients inside an enabled profile, half outside; "
               "every verdict checked. Latency: from sending CONNECT to its "
               "reply. Server CPU: the milter process's user+system time "
               "per session. Median [min–max].\n")
    out.append("| concurrency | milter | sessions/s | connect p50 µs | "
               "connect p99 µs | server CPU µs/session | errors+mismatches |")
    out.append("|---:|---|---:|---:|---:|---:|---:|")
    for c in concs:
        for impl, label in SESSION_IMPLS:
            v = S.values("sessions", impl, c, "sessions_per_s")
            if not v:
                continue
            bad = [a + b for a, b in zip(
                S.values("sessions", impl, c, "errors"),
                S.values("sessions", impl, c, "mismatches"))]
            out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                c, label, cell(v),
                cell(S.values("sessions", impl, c, "connect_p50_us")),
                cell(S.values("sessions", impl, c, "connect_p99_us")),
                cell(S.values("sessions", impl, c,
                              "server_cpu_us_per_session")),
                fmt(sum(bad), 0)))
    out.append("\nRatios, per repetition (runs interleaved):\n")
    out.append("| concurrency | lockdown ÷ null sessions/s | lockdown ÷ null "
               "p99 | lockdown ÷ pymilter | 1M: lockdown ÷ null | 1M: p99 "
               "÷ null | 1M: lockdown ÷ pymilter | ceiling: null ÷ "
               "pymilter |")
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|")

    def ratio(a, b, c, metric):
        return paired(S.reps("sessions", a, c, metric),
                      S.reps("sessions", b, c, metric), lambda x, y: x / y)
    for c in concs:
        cols = []
        for ld, py in (("lockdown", "pymilter"),
                       ("lockdown-1m", "pymilter-1m")):
            rn = ratio(ld, "null", c, "sessions_per_s")
            rp = ratio(ld, "null", c, "connect_p99_us")
            rpy = ratio(ld, py, c, "sessions_per_s")
            cols += [cell(rn, 3), cell(rp, 2), cell(rpy, 2)]
            R.derive("sessions", ld + "/null", c, "sessions_per_s_ratio", rn)
            R.derive("sessions", ld + "/null", c, "connect_p99_ratio", rp)
            R.derive("sessions", ld + "/" + py, c, "sessions_per_s_ratio",
                     rpy)
            if c in ("16", "64"):
                tag = " (1M prefixes)" if ld.endswith("1m") else ""
                R.target("Sessions", "c=%s sessions/s ÷ null milter%s" %
                         (c, tag), rn, ">=", 0.95, "≥ 0.95", 3)
                R.target("Sessions", "c=%s connect p99 ÷ null milter%s" %
                         (c, tag), rp, "<=", 1.10, "≤ 1.10", 2)
                R.target("Sessions", "c=%s sessions/s ÷ pymilter%s" %
                         (c, tag), rpy, ">=", 2.2, "≥ 2.2", 2)
        ceil = ratio("null", "pymilter", c, "sessions_per_s")
        R.derive("sessions", "null/pymilter", c, "sessions_per_s_ratio", ceil)
        cols.append(cell(ceil, 2))
        out.append("| %s | %s |" % (c, " | ".join(cols)))

    idle_c = S.params("idle")
    if idle_c:
        out.append("\n### With idle sessions held\n")
        impls = S.impls("idle")
        held = [i for i in impls if "+idle" in i]
        out.append("The same load while %s more sessions sit negotiated and "
                   "idle for the whole run.\n" %
                   (held[0].split("+idle")[1] if held else "?"))
        out.append("| concurrency | milter | sessions/s | connect p99 µs | "
                   "÷ same milter without idle sessions |")
        out.append("|---:|---|---:|---:|---:|")
        for c in idle_c:
            for impl in impls:
                v = S.values("idle", impl, c, "sessions_per_s")
                base = impl.split("+idle")[0]
                r = paired(S.reps("idle", impl, c, "sessions_per_s"),
                           S.reps("idle", base, c, "sessions_per_s"),
                           lambda x, y: x / y) if impl != base else []
                out.append("| %s | %s | %s | %s | %s |" % (
                    c, impl, cell(v),
                    cell(S.values("idle", impl, c, "connect_p99_us")),
                    cell(r, 3) if r else ""))
                if impl.startswith("lockdown+idle"):
                    R.derive("idle", impl + "/" + base, c,
                             "sessions_per_s_ratio", r)
                    R.target("Sessions", "c=%s with %s idle sessions ÷ "
                             "without" % (c, impl.split("+idle")[1]), r,
                             ">=", 0.80, "≥ 0.80", 3)


# variant, what it is, the null milter run it is divided by
AB = [
    ("null", "null milter: continue at connect", None),
    ("null-accept", "null milter -a: accept at connect", "null"),
    ("lockdown", "lockdown-milter, `log: decisions` (default)", "null"),
    ("lockdown-refusals", "lockdown-milter, `log: refusals`", "null"),
    ("null-hit1", "null milter, every client inside", "null"),
    ("lockdown-hit1", "lockdown-milter, every client accepted", "null-hit1"),
    ("lockdown-refusals-hit1", "lockdown-milter, `log: refusals`, every "
     "client accepted (no log line)", "null-hit1"),
    ("null-hit0", "null milter, every client outside", "null"),
    ("lockdown-hit0", "lockdown-milter, every client refused (reply "
     "packet)", "null-hit0"),
    ("null-stages", "null milter -s connect,mail,rcpt, MAIL+RCPT sent",
     "null"),
    ("lockdown-stages", "lockdown-milter, `refuse.at: mail` + "
     "`relay.local_domains`, MAIL+RCPT sent", "null-stages"),
]

# name, numerator, denominator: runs of one repetition compared directly
AB_PAIRS = [
    ("log line, half the clients accepted: `log: refusals` ÷ `decisions`",
     "lockdown-refusals", "lockdown"),
    ("log line, every client accepted: `log: refusals` ÷ `decisions`",
     "lockdown-refusals-hit1", "lockdown-hit1"),
    ("refusal ÷ accept (reply packet, notice line with the reply)",
     "lockdown-hit0", "lockdown-hit1"),
    ("lockdown accepting, no log line ÷ null milter accepting",
     "lockdown-refusals-hit1", "null-accept"),
    ("null milter: continue ÷ accept at connect", "null", "null-accept"),
    ("null milter: MAIL+RCPT negotiated ÷ connect only", "null-stages",
     "null"),
]


def ab_section(R, out):
    S = R.S
    concs = [c for c in S.params("ab") if S.values("ab", "null", c,
                                                    "sessions_per_s")]
    if not concs:
        return
    out.append("\n## Where the gap to the null milter goes (ab)\n")
    load = []
    for c in S.params("load"):
        load += S.values("load", "machine", c, "loadavg_1min")
    out.append("Every variant once per repetition and concurrency, order "
               "rotated per repetition, basic pool (199.89.0.0/21 inside, "
               "TEST-NET outside, half and half unless stated); each ratio "
               "is against the null milter run named in the row, of the "
               "same repetition. lockdown-milter logs to stderr, which goes "
               "to /dev/null (one write(2) per line). Server CPU: the "
               "milter's user+system time per session. 1-minute load "
               "average at the start of each repetition: %s. Median "
               "[min–max].\n" % cell(load, 1))
    out.append("| c | variant | ÷ | sessions/s | ÷ null sessions/s | "
               "connect p99 µs | ÷ null p99 | CPU µs/session | ÷ null CPU "
               "| errors+mismatches |")
    out.append("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")

    def ratio(a, b, c, metric):
        return paired(S.reps("ab", a, c, metric), S.reps("ab", b, c, metric),
                      lambda x, y: x / y)
    for c in concs:
        for impl, label, ref in AB:
            v = S.values("ab", impl, c, "sessions_per_s")
            if not v:
                continue
            bad = [a + b for a, b in zip(
                S.values("ab", impl, c, "errors"),
                S.values("ab", impl, c, "mismatches"))]
            cols = ["", "", ""]
            if ref is not None:
                rs = ratio(impl, ref, c, "sessions_per_s")
                rp = ratio(impl, ref, c, "connect_p99_us")
                rc = ratio(impl, ref, c, "server_cpu_us_per_session")
                cols = [cell(rs, 3), cell(rp, 2), cell(rc, 3)]
                R.derive("ab", impl + "/" + ref, c, "sessions_per_s_ratio",
                         rs)
                R.derive("ab", impl + "/" + ref, c, "connect_p99_ratio", rp)
                R.derive("ab", impl + "/" + ref, c, "server_cpu_ratio", rc)
                if impl == "lockdown":
                    R.target("A/B", "c=%s sessions/s ÷ null milter" % c, rs,
                             ">=", 0.95, "≥ 0.95", 3)
                    R.target("A/B", "c=%s connect p99 ÷ null milter" % c, rp,
                             "<=", 1.10, "≤ 1.10", 2)
                if impl == "lockdown-refusals":
                    R.target("A/B", "c=%s `log: refusals` sessions/s ÷ null "
                             "milter" % c, rs, ">=", 0.98, "≥ 0.98", 3)
            out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |"
                       % (c, label, ref or "", cell(v), cols[0],
                          cell(S.values("ab", impl, c, "connect_p99_us")),
                          cols[1],
                          cell(S.values("ab", impl, c,
                                        "server_cpu_us_per_session")),
                          cols[2], fmt(sum(bad), 0)))
    out.append("\nDirect pairs, per repetition:\n")
    head = "| pair |"
    rule = "|---|"
    for c in concs:
        head += " c=%s sessions/s | c=%s CPU/session |" % (c, c)
        rule += "---:|---:|"
    out.append(head)
    out.append(rule)
    for name, a, b in AB_PAIRS:
        cols = []
        for c in concs:
            rs = ratio(a, b, c, "sessions_per_s")
            rc = ratio(a, b, c, "server_cpu_us_per_session")
            R.derive("ab", a + "/" + b, c, "sessions_per_s_ratio", rs)
            R.derive("ab", a + "/" + b, c, "server_cpu_ratio", rc)
            cols += [cell(rs, 3), cell(rc, 3)]
        out.append("| %s | %s |" % (name, " | ".join(cols)))


E2E = [("a_none", "(a) no restriction"),
       ("b_cidr", "(b) Postfix check_client_access cidr:"),
       ("c_null", "(c) null libmilter milter"),
       ("d_lockdown", "(d) lockdown-milter"),
       ("e_null_accept", "(e) null milter accepting at connect")]


def e2e_section(R, out):
    S = R.S
    params = S.params("e2e")
    if not params:
        out.append("\n## End to end\n\nNot run.\n")
        return
    out.append("\n## End to end\n")
    out.append("A private Postfix on loopback, delivery to `discard`, "
               "driven by `smtp-source` (one connection per message); the "
               "listeners of one instance differ only in the restriction. "
               "(e) is not a target: it shows what a milter costs when it "
               "answers the connect stage with accept, as lockdown-milter "
               "does for a listed client (Postfix then closes the milter "
               "connection at once). Server CPU: all of the Postfix "
               "instance's processes and the milter, per session, deliveries "
               "included; unlike sessions/s it does not move with other load "
               "on the machine, and (b) ÷ this is the rate this variant "
               "reaches relative to (b) when the CPU is the limit. Median "
               "[min–max].\n")
    out.append("| clients | variant | sessions/s | ÷ (a) | ÷ (b) | ÷ (c) | "
               "server CPU µs/session | (b) ÷ this, by CPU |")
    out.append("|---:|---|---:|---:|---:|---:|---:|---:|")
    for c in params:
        for impl, label in E2E:
            v = S.reps("e2e", impl, c, "sessions_per_s")
            if not v:
                continue
            rs = []
            for base in ("a_none", "b_cidr", "c_null"):
                r = paired(v, S.reps("e2e", base, c, "sessions_per_s"),
                           lambda x, y: x / y) if base != impl else []
                rs.append(cell(r, 3) if r else "")
                if r:
                    R.derive("e2e", impl + "/" + base, c,
                             "sessions_per_s_ratio", r)
            cpu = S.reps("e2e", impl, c, "server_cpu_us_per_session")
            cap = paired(S.reps("e2e", "b_cidr", c,
                                "server_cpu_us_per_session"), cpu,
                         lambda x, y: x / y) if impl != "b_cidr" else []
            R.derive("e2e", "b_cidr/" + impl, c, "cpu_capacity_ratio", cap)
            out.append("| %s | %s | %s | %s | %s | %s |" % (
                c, label, cell(list(v.values())), " | ".join(rs),
                cell(list(cpu.values())), cell(cap, 3) if cap else ""))
        d = S.reps("e2e", "d_lockdown", c, "sessions_per_s")
        R.target("End to end", "clients=%s (d) ÷ (c) sessions/s" % c,
                 paired(d, S.reps("e2e", "c_null", c, "sessions_per_s"),
                        lambda x, y: x / y), ">=", 0.95, "≥ 0.95", 3)
        R.target("End to end", "clients=%s (d) ÷ (b) sessions/s (stretch)"
                 % c, paired(d, S.reps("e2e", "b_cidr", c, "sessions_per_s"),
                             lambda x, y: x / y), ">=", 0.85, "≥ 0.85", 3)
        cpu_d = S.reps("e2e", "d_lockdown", c, "server_cpu_us_per_session")
        R.target("End to end", "clients=%s (d) ÷ (c) by server CPU per "
                 "session" % c,
                 paired(S.reps("e2e", "c_null", c,
                               "server_cpu_us_per_session"), cpu_d,
                        lambda x, y: x / y), ">=", 0.95, "≥ 0.95", 3)
        R.target("End to end", "clients=%s (d) ÷ (b) by server CPU per "
                 "session (stretch)" % c,
                 paired(S.reps("e2e", "b_cidr", c,
                               "server_cpu_us_per_session"), cpu_d,
                        lambda x, y: x / y), ">=", 0.85, "≥ 0.85", 3)


def main():
    raw, meta, out_md, out_csv = sys.argv[1:5]
    R = Report(Samples(raw))
    body = []
    S = R.S
    # An ab-only run (results/ab.md) leaves out the sections it never ran.
    only_ab = bool(S.params("ab")) and not (
        S.params("lookup") or S.params("sessions") or S.params("e2e"))
    if not only_ab:
        lookup_section(R, body)
        sessions_section(R, body)
    ab_section(R, body)
    if not only_ab:
        e2e_section(R, body)
    with open(meta) as f:
        head = f.read().rstrip("\n")
    lines = ["# lockdown-milter benchmark results", "", head, "",
             "## Targets", "",
             "| section | target | measured: median [min–max] | goal | met |",
             "|---|---|---:|---|---|"]
    for sec, name, val, goal, met in R.targets:
        lines.append("| %s | %s | %s | %s | %s |" % (
            sec, name, val, goal,
            "n/a" if met is None else "yes" if met else "**NO**"))
    lines += body
    with open(out_md, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(out_csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["bench", "impl", "param", "metric", "median", "min",
                    "max", "n"])
        S = R.S
        for (bench, impl, param, metric), reps in sorted(S.s.items()):
            s = summary(list(reps.values()))
            w.writerow([bench, impl, param, metric] +
                       ["%.6g" % x for x in s[:3]] + [s[3]])
        for d in R.derived:
            w.writerow(list(d[:4]) + ["%.6g" % x for x in d[4:7]] + [d[7]])
    width = max((len(t[1]) for t in R.targets), default=10)
    for sec, name, val, goal, met in R.targets:
        print("%-11s %-*s %-28s goal %-10s %s" % (
            sec, width, name, val, goal,
            "n/a" if met is None else "MET" if met else "MISSED"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
