#!/usr/bin/env python3
"""Reads the kas file of this project: its pins, layers, machine, distro, target and local.conf header.

Usage: kas-pins.py KASFILE pins        -> "name url branch commit" per repository with a url
       kas-pins.py KASFILE layers      -> "repo layer-subdir" per layer ('.' for the repository root)
       kas-pins.py KASFILE KEY         -> value of a top-level scalar (machine, distro, target)
       kas-pins.py KASFILE local_conf  -> the local_conf_header blocks, in order

The kas files of this project use a small, fixed subset of YAML (mappings, scalars, `|` blocks,
comments), so this reads them without a YAML library: it runs on a bare build host before anything is
installed, as the layer checkout does.
"""
import re
import sys


def parse(path):
    top, repos, conf = {}, {}, []
    section, cur, block = None, None, None
    for raw in open(path, encoding="utf-8"):
        raw = raw.rstrip("\n")
        if block is not None:
            if raw.startswith(" " * 4) or not raw.strip():
                block.append(raw[4:])
                continue
            block = None
        if raw.lstrip().startswith("#") or not raw.strip():
            continue
        line = re.sub(r"\s+#.*$", "", raw)
        indent = len(line) - len(line.lstrip())
        m = re.match(r"^\s*([A-Za-z0-9_.-]+):\s*(.*)$", line)
        if not m:
            continue
        key, val = m.group(1), m.group(2).strip().strip("'\"")
        if indent == 0:
            section = key
            if val:
                top[key] = val
            continue
        if section == "repos":
            if indent == 2:
                cur = repos.setdefault(key, {"layers": []})
            elif indent == 4 and key != "layers":
                cur[key] = val
            elif indent == 6:
                cur["layers"].append(key)
        elif section == "local_conf_header" and indent == 2 and val == "|":
            block = []
            conf.append((key, block))
    return top, repos, conf


def main(argv):
    top, repos, conf = parse(argv[1])
    what = argv[2] if len(argv) > 2 else "pins"
    if what == "pins":
        for name, r in repos.items():
            if "url" in r:
                print(name, r["url"], r.get("branch", "-"), r.get("commit", "-"))
    elif what == "layers":
        for name, r in repos.items():
            for layer in r["layers"] or ["."]:
                print(name, layer)
    elif what == "local_conf":
        for key, lines in conf:
            print(f"# kas local_conf_header: {key}")
            print("\n".join(lines).rstrip("\n"))
    else:
        if what not in top:
            sys.exit(f"kas-pins.py: no top-level '{what}' in {argv[1]}")
        print(top[what])


if __name__ == "__main__":
    main(sys.argv)
