#!/usr/bin/env python3
"""Regenerate the seed corpora in tests/fuzz/corpus/<harness>/seed-*.

Seeds come from the unit tests' string tables, the shipped etc/ files and
the fixtures in tests/fuzz/etc/. Files the fuzzer found (any name not
starting with "seed-") are left alone. Run from anywhere:
    python3 tests/fuzz/seeds.py
"""
import glob
import hashlib
import os
import re
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")


def c_strings(path):
    """Every C string literal in a file, escapes decoded, adjacent ones joined."""
    try:
        text = open(path, encoding="utf-8").read()
    except FileNotFoundError:
        return []
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    out = []
    for m in re.finditer(r'((?:"(?:[^"\\\n]|\\.)*"\s*)+)', text):
        parts = re.findall(r'"((?:[^"\\\n]|\\.)*)"', m.group(1))
        raw = "".join(parts)
        try:
            val = bytes(raw, "utf-8").decode("unicode_escape").encode("latin-1")
        except (UnicodeDecodeError, UnicodeEncodeError):
            continue
        out.append(val)
    return out


def write(harness, data):
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def clear(harness):
    for f in glob.glob(os.path.join(CORPUS, harness, "seed-*")):
        os.remove(f)


def yaml_files():
    files = [os.path.join(TOP, "etc", "lockdown.yaml")]
    files += sorted(glob.glob(os.path.join(HERE, "etc", "*.yaml")))
    return files


def provider_files():
    files = sorted(glob.glob(os.path.join(TOP, "etc", "providers", "*.yaml")))
    files += sorted(glob.glob(os.path.join(HERE, "etc", "providers", "*.yaml")))
    return files


ADDRISH = re.compile(rb"^[0-9A-Za-z:./%\- \t]{0,120}$")


def seeds_range():
    clear("range")
    strings = set()
    for src in glob.glob(os.path.join(TOP, "tests", "unit", "test_*.c")):
        for s in c_strings(src):
            if ADDRISH.match(s) and re.search(rb"[0-9:]", s):
                strings.add(s)
    for f in yaml_files() + provider_files():
        for line in open(f, "rb"):
            m = re.match(rb'\s*-\s*"?([0-9a-fA-F:./\- ]+?)"?\s*(#.*)?$', line)
            if m:
                strings.add(m.group(1))
            for r in re.findall(rb"\[([^\]]*)\]", line):
                for item in r.split(b","):
                    strings.add(item.strip().strip(b'"'))
    for s in sorted(strings):
        write("range", s)


def seeds_sockspec():
    clear("sockspec")
    for s in c_strings(os.path.join(TOP, "tests", "unit", "test_sockspec.c")):
        if len(s) < 300:
            write("sockspec", s)
    for f in yaml_files():
        for line in open(f, "rb"):
            m = re.match(rb'\s*#?\s*socket:\s*"?([^"\n]*)"?', line)
            if m:
                write("sockspec", m.group(1))


def seeds_namepat():
    clear("namepat")
    strings = [x for x in c_strings(os.path.join(TOP, "tests", "unit",
                                                 "test_namepat.c"))
               if len(x) < 300]
    pats = [x for x in strings if x.startswith(b"*") or b"." in x][:40]
    names = strings[:40]
    for i, pat in enumerate(pats):
        write("namepat", pat + b"\n" + names[i % len(names)])
        write("namepat", pat + b"\nmx1." + pat.lstrip(b"*."))


def seeds_config():
    clear("config")
    for f in yaml_files():
        write("config", open(f, "rb").read())
    for f in provider_files():
        data = open(f, "rb").read()
        write("config", b"P" + data)
        write("config", b"F" + data)
    # Inline YAML from the loader's unit tests.
    for src in glob.glob(os.path.join(TOP, "tests", "unit", "test_config*.c")):
        for s in c_strings(src):
            if b":" in s and b"\n" in s:
                write("config", s)
                if re.search(rb"^(name|ranges|source|relay):", s, re.M):
                    write("config", b"P" + s)


def seeds_rcpt_domain():
    clear("rcpt_domain")
    rcpts = set()
    for src in glob.glob(os.path.join(TOP, "tests", "unit", "test_*.c")):
        for s in c_strings(src):
            if b"@" in s and len(s) < 200:
                rcpts.add(s)
    rcpts |= {b"<user@Example.COM>", b"user@example.com", b"<>",
              b"postmaster", b"<@a,@b:user@host>", b'<"a@b"@host>',
              b"a@b@c", b"user@", b"<user@example.com.>"}
    for r in sorted(rcpts):
        write("rcpt_domain", bytes([255]) + r)
        write("rcpt_domain", bytes([len(r) // 2]) + r)


def v4(text):
    return bytes(int(x) for x in text.split("."))


def seeds_addrset():
    clear("addrset")
    # flags, count, then entries: kind, bytes, len|hi, tag.
    e = b""
    e += b"\x00" + v4("199.89.0.0") + b"\x15" + b"\x00"       # /21 tag 0
    e += b"\x00" + v4("199.89.4.0") + b"\x16" + b"\x01"       # /22 inside
    e += b"\x00" + v4("0.0.0.0") + b"\x00" + b"\x02"          # /0
    e += b"\x02" + v4("10.0.0.1") + v4("10.0.0.6") + b"\x03"  # range
    e += b"\x01" + bytes(16) + b"\x00" + b"\x01"              # ::/0
    e += (b"\x01" + bytes([0, 0x64, 0xff, 0x9b]) + bytes(12) +
          b"\x60" + b"\x02")                                  # 64:ff9b::/96
    e += b"\x01" + bytes([0x20, 0x02]) + bytes(14) + b"\x10" + b"\x03"
    e += b"\x00" + v4("83.245.15.239") + b"\x20" + b"\x00"    # /32
    e += b"\x00" + v4("83.245.15.239") + b"\x20" + b"\x01"    # same, tag 1
    q = b"\x00" + v4("199.89.7.255") + b"\x01" + bytes(15) + b"\x01"
    write("addrset", b"\x00" + bytes([9]) + e + q)
    write("addrset", b"\x01" + bytes([9]) + e)
    wide = b"\x06" + bytes(15) + b"\x01" + b"\xff" * 16 + b"\xfe\xff"
    write("addrset", b"\x00\x01" + wide)


def seeds_policy():
    clear("policy")
    # flags (config), shape, base..., port, auth?, rcpt?
    for cfg in range(6):
        for shape in range(10):
            for port in (1, 3, 0):  # 25, 2525, -1
                base = bytes([1, 0, 0, 0])  # near entry 0's first range lo
                if shape in (0, 2, 3, 4, 5):
                    base = bytes([1, cfg % 3, 0, 0])
                data = bytes([cfg, shape]) + base + b"\x00\x19\x00"
                data += bytes([port])
                data += b"\x01alice\x00" if port == 0 else b"\x00"
                data += b"\x01<bob@example.org>\x00"
                write("policy", data)
        write("policy", bytes([0x80 | cfg, 6, 0, 0]))
        write("policy", bytes([cfg, 0, 0]) + v4("203.0.113.9") +
              b"\x00\x19\x00\x01\x00\x01user@example.com\x00")


def main():
    seeds_range()
    seeds_sockspec()
    seeds_namepat()
    seeds_config()
    seeds_rcpt_domain()
    seeds_addrset()
    seeds_policy()
    for h in sorted(os.listdir(CORPUS)):
        if h != "regressions":
            print(h, len(os.listdir(os.path.join(CORPUS, h))))


if __name__ == "__main__":
    main()
