#!/usr/bin/env python3
"""Reads the output of `bitbake -e RECIPE` (final values of variables and functions).

Usage: bbenv.py ENVFILE get VAR        -> the variable's value (exit 1 if it is not set)
       bbenv.py ENVFILE func NAME      -> the body of a shell function
       bbenv.py ENVFILE find FILE      -> the first FILESPATH directory holding FILE (as BitBake finds
                                          file:// sources), exit 1 if none
"""
import os
import re
import sys


def get(text, var):
    m = re.search(r'^(?:export )?' + re.escape(var) + r'="(.*)"$', text, re.M)
    return None if m is None else m.group(1).replace('\\"', '"').replace("\\$", "$")


def func(text, name):
    m = re.search(r'^' + re.escape(name) + r'\(\) \{\n(.*?)^\}$', text, re.M | re.S)
    return None if m is None else m.group(1)


def main(path, what, arg):
    text = open(path, encoding="utf-8", errors="replace").read()
    if what == "get":
        v = get(text, arg)
    elif what == "func":
        v = func(text, arg)
    elif what == "find":
        v = None
        for d in (get(text, "FILESPATH") or "").split(":"):
            if d and os.path.exists(os.path.join(d, arg)):
                v = os.path.join(d, arg)
                break
    else:
        sys.exit(f"bbenv.py: unknown request {what}")
    if v is None:
        sys.exit(1)
    print(v)


if __name__ == "__main__":
    main(*sys.argv[1:4])
