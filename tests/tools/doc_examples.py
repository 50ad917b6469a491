#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Run the control-socket examples of tern's docs against a real ternd.

In a Markdown file, a fenced block whose lines start with "> " is an example
session: each "> COMMAND" is sent with ternctl, and the lines after it (up to
the next "> " or the end of the block) are what the docs say it answers.
Blocks run in document order, on one ternd, so an example may build on an
earlier one. An HTML comment line

    <!-- doc-test: COMMAND -->

runs COMMAND silently (it must succeed) where it stands, to set up what the
next example needs without showing it; "<!-- doc-test: skip -->" leaves the
next block unchecked (an example from another machine, say a NIC's).

How an answer is compared with the docs:
- an error (ternctl exit 1): its message, exactly, except that "..." inside
  a word stands for any text (paths, hashes);
- a text row: word by word. A key=value word needs the same key; a value
  that is a number (or a list of numbers, "a:b,c") needs a number there,
  any other value the same text, and a value with "..." any value. Other
  words must be equal ("..." inside one: any text). A word "..." alone
  skips to the next word the docs name. A line "..." skips lines (at
  the end: any more lines);
- a JSON line: valid JSON whose keys include the docs' keys, in order.

Prints one line per failure and "doc examples: N checked, M failed"; exits 1
if any failed or none was found.
"""
import argparse
import json
import re
import shlex
import subprocess
import sys

NUM = re.compile(r"^-?[0-9]+(\.[0-9]+)?([:,/.-][0-9]+(\.[0-9]+)?)*$")
SETUP = re.compile(r"^<!-- doc-test: (.*) -->$")


def words(line):
    """Split on blanks outside double quotes."""
    try:
        lex = shlex.shlex(line, posix=False)
        lex.whitespace_split = True
        return list(lex)
    except ValueError:
        return line.split()


def wild(pattern, text):
    """pattern with '...' standing for any text matches all of text."""
    rx = ".*".join(re.escape(p) for p in pattern.split("..."))
    return re.fullmatch(rx, text, re.S) is not None


def value_ok(want, got):
    """Numbers may differ, text may not: each run of digits in want (with
    its decimals) stands for any number."""
    if "..." in want:
        return True
    if NUM.match(want):
        return NUM.match(got) is not None
    rx = re.sub(r"[0-9]+(?:\\\.[0-9]+)*", lambda m: r"[0-9]+(?:\.[0-9]+)*", re.escape(want))
    return re.fullmatch(rx, got) is not None


def word_ok(want, got):
    if "=" in want and not want.startswith("="):
        k, v = want.split("=", 1)
        if "=" not in got:
            return False
        gk, gv = got.split("=", 1)
        return k == gk and value_ok(v, gv)
    return wild(want, got) if "..." in want else want == got


def row_ok(want, got):
    """Compare one text row; returns an error string or None."""
    ws, gs = words(want), words(got)
    i = j = 0
    while i < len(ws):
        if ws[i] == "...":
            i += 1
            if i == len(ws):
                return None
            # skip to the next word with the key (or text) the docs name
            key = ws[i].split("=", 1)[0] + ("=" if "=" in ws[i] else "")
            while j < len(gs) and not (gs[j].startswith(key) if key.endswith("=")
                                       else word_ok(ws[i], gs[j])):
                j += 1
            continue
        if j >= len(gs):
            return f"missing '{ws[i]}'"
        if not word_ok(ws[i], gs[j]):
            return f"'{gs[j]}' where the docs say '{ws[i]}'"
        i += 1
        j += 1
    if j < len(gs):
        return f"more than the docs say, from '{gs[j]}'"
    return None


def keys_in(text):
    return re.findall(r'"([A-Za-z_][A-Za-z_0-9]*)"\s*:', text)


def json_ok(want, got):
    try:
        doc = json.loads(got)
    except ValueError as e:
        return f"not JSON ({e})"

    seen = []

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                seen.append(k)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(doc)
    it = iter(seen)
    for k in keys_in(want):
        if not any(k == s for s in it):
            return f"key '{k}' missing or out of order"
    return None


def compare(want_lines, rc, out):
    got_lines = out.rstrip("\n").split("\n") if out.strip() else []
    if rc == 1:
        msg = out.strip()
        if len(want_lines) != 1:
            return f"failed: {msg}"
        return None if wild(want_lines[0], msg) else f"error '{msg}'"
    if rc != 0:
        return f"ternctl exited {rc}: {out.strip()}"
    j = 0
    gap = False
    for w in want_lines:
        if w == "...":
            gap = True
            continue
        is_json = w.lstrip().startswith(("{", "["))
        err = f"missing a line the docs show: {w}"
        while j < len(got_lines):
            g = got_lines[j]
            j += 1
            e = json_ok(w, g) if is_json else row_ok(w, g)
            if e is None:
                err = None
                break
            if not gap:
                err = f"{e}\n      docs: {w}\n      got:  {g}"
                break
        if err is not None:
            return err
        gap = False
    if j < len(got_lines) and not gap:
        return f"more lines than the docs show, from: {got_lines[j]}"
    return None


def run(ctl, sock, cmd):
    p = subprocess.run([ctl, "-s", sock, cmd], capture_output=True, text=True, timeout=30)
    out = p.stdout
    if p.returncode == 1:
        out = p.stderr.replace("ternctl: error: ", "", 1)
    return p.returncode, out


def examples(path):
    """Yield ('setup', lineno, cmd) and ('example', lineno, cmd, want_lines)."""
    lines = open(path, encoding="utf-8").read().split("\n")
    in_block = skip = False
    cur = None
    for n, line in enumerate(lines, 1):
        if line.startswith("```"):
            if in_block and cur and not skip:
                yield cur
            cur = None
            if in_block:
                skip = False
            in_block = not in_block
            continue
        if not in_block:
            m = SETUP.match(line.strip())
            if m and m.group(1) == "skip":
                skip = True
            elif m:
                yield ("setup", n, m.group(1))
            continue
        if line.startswith("> "):
            if cur and not skip:
                yield cur
            cur = ("example", n, line[2:], [])
        elif cur:
            cur[3].append(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ternctl", required=True)
    ap.add_argument("--socket", required=True)
    ap.add_argument("--subst", action="append", default=[], metavar="FROM=TO",
                    help="read FROM in the docs as TO (e.g. the app directory)")
    ap.add_argument("docs", nargs="+")
    a = ap.parse_args()
    subst = [x.split("=", 1) for x in a.subst]

    def sub(text):
        for f, t in subst:
            text = text.replace(f, t)
        return text
    checked = failed = 0
    for path in a.docs:
        for ex in examples(path):
            rc, out = run(a.ternctl, a.socket, sub(ex[2]))
            if ex[0] == "setup":
                if rc != 0:
                    print(f"{path}:{ex[1]}: setup '{ex[2]}' failed: {out.strip()}")
                    failed += 1
                continue
            checked += 1
            err = compare([sub(w) for w in ex[3]], rc, out)
            if err:
                failed += 1
                print(f"{path}:{ex[1]}: > {ex[2]}\n    {err}")
    print(f"doc examples: {checked} checked, {failed} failed")
    return 0 if checked > 0 and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
