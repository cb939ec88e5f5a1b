#!/usr/bin/env python3
"""Every Proctor module a target imports is declared in Package.swift (SwiftPM builds happily
without the declaration when the module was already built for another target: the order of a
build is not a dependency graph)."""
import os, re, sys

root = os.path.join(os.path.dirname(__file__), "..")
pkg = open(os.path.join(root, "Package.swift")).read()
problems = []
for m in re.finditer(r'\.(?:target|testTarget|executableTarget)\(\s*name:\s*"([^"]+)"(.*?)\)\s*,\s*(?=\.|//|\])', pkg, re.S):
    name, rest = m.group(1), m.group(2)
    deps = set(re.findall(r'"([^"]+)"', (re.search(r'dependencies:\s*\[(.*?)\]', rest, re.S) or [None, ""])[1]))
    path = re.search(r'path:\s*"([^"]+)"', rest)
    folder = path.group(1) if path else os.path.join("Tests" if "testTarget" in m.group(0) else "Sources", name)
    imported = set()
    for dirpath, _, files in os.walk(os.path.join(root, folder)):
        for f in files:
            if f.endswith(".swift"):
                imported |= set(re.findall(r'^(?:@testable )?import (C?Proctor\w*)', open(os.path.join(dirpath, f)).read(), re.M))
    for mod in sorted(imported - deps - {name}):
        problems.append(f"{name} imports {mod} but Package.swift does not declare it")
for p in problems:
    print("check-imports:", p)
if problems:
    sys.exit(1)
print("check-imports: every imported module is declared")
