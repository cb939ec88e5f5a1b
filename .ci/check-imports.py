#!/usr/bin/env python3
"""The module graph, enforced.

1. Every Proctor module a target imports is declared in Package.swift (SwiftPM builds happily
   without the declaration when the module was already built for another target: the order of a
   build is not a dependency graph).
2. Every library target imports (and declares) only the modules the table below allows: an edge
   that is not in the table fails, so the architecture cannot drift without this file changing.
3. The picture of the graph in the documentation (between `<!-- module-graph -->` markers) is the
   one this table draws: `python3 .ci/check-imports.py --picture` prints it.
"""
import os, re, sys

# Allowed edges: target -> the Proctor modules it may import. One concern per module; arrows point
# one way (a module never reaches back up the list).
ALLOWED = {
    "CProctorSystem": [],
    "CProctorKernels": [],
    "ProctorSupport": ["CProctorSystem"],
    "ProctorJSON": ["ProctorSupport"],
    "ProctorRegex": [],
    "ProctorYAML": ["ProctorJSON", "ProctorSupport"],
    "ProctorConversation": ["ProctorJSON"],
    "ProctorSchema": ["ProctorJSON", "ProctorRegex", "ProctorSupport"],
    "ProctorGenerate": ["ProctorJSON", "ProctorRegex", "ProctorSchema", "ProctorSupport"],
    "ProctorRepair": ["ProctorJSON", "ProctorSupport"],
    "ProctorModel": ["CProctorKernels", "ProctorJSON", "ProctorConversation", "ProctorSupport"],
    "ProctorConstrain": ["ProctorJSON", "ProctorRegex", "ProctorSchema", "ProctorModel", "ProctorConversation", "ProctorSupport"],
    "ProctorBackends": ["ProctorJSON", "ProctorConversation", "ProctorRepair", "ProctorModel", "ProctorSchema", "ProctorConstrain", "ProctorSupport",
                        "CProctorSystem"],
    "ProctorServe": ["ProctorJSON", "ProctorConversation", "ProctorModel", "ProctorConstrain", "ProctorSchema", "ProctorSupport"],
    "ProctorHarness": ["ProctorJSON", "ProctorYAML", "ProctorRegex", "ProctorSchema", "ProctorRepair", "ProctorConversation",
                       "ProctorBackends", "ProctorSupport"],
    "ProctorReports": ["ProctorJSON", "ProctorConversation", "ProctorHarness", "ProctorSupport"],
    "ProctorOptimize": ["ProctorJSON", "ProctorRepair", "ProctorConversation", "ProctorBackends", "ProctorHarness", "ProctorReports",
                        "ProctorSupport"],
    "ProctorCommandLine": ["ProctorSupport"],
    "ProctorCLI": "*",
    "proctor": ["ProctorCLI"],
}

# Layers for the picture, lowest first.
LAYERS = [
    ["CProctorSystem", "CProctorKernels", "ProctorRegex"],
    ["ProctorSupport"],
    ["ProctorJSON"],
    ["ProctorYAML", "ProctorConversation", "ProctorSchema", "ProctorRepair"],
    ["ProctorGenerate", "ProctorModel"],
    ["ProctorConstrain"],
    ["ProctorBackends", "ProctorServe"],
    ["ProctorHarness"],
    ["ProctorReports"],
    ["ProctorOptimize", "ProctorCommandLine"],
    ["ProctorCLI"],
    ["proctor"],
]


def picture():
    lines = ["```"]
    for layer in reversed(LAYERS):
        for m in layer:
            deps = ALLOWED[m]
            shown = "everything" if deps == "*" else (", ".join(d for d in deps) if deps else "nothing")
            lines.append(f"{m:<20} → {shown}")
    lines.append("```")
    return "\n".join(lines)


root = os.path.join(os.path.dirname(__file__), "..")
if "--picture" in sys.argv:
    print(picture())
    sys.exit(0)

pkg = open(os.path.join(root, "Package.swift")).read()
problems = []
targets = {}
for m in re.finditer(r'\.(?:target|testTarget|executableTarget)\(\s*name:\s*"([^"]+)"(.*?)\)\s*,\s*(?=\.|//|\])', pkg, re.S):
    name, rest = m.group(1), m.group(2)
    deps = set(re.findall(r'"([^"]+)"', (re.search(r'dependencies:\s*\[(.*?)\]', rest, re.S) or [None, ""])[1]))
    path = re.search(r'path:\s*"([^"]+)"', rest)
    is_test = "testTarget" in m.group(0) or (path and path.group(1).startswith("Tests"))
    folder = path.group(1) if path else os.path.join("Tests" if "testTarget" in m.group(0) else "Sources", name)
    imported = set()
    for dirpath, _, files in os.walk(os.path.join(root, folder)):
        for f in files:
            if f.endswith(".swift"):
                imported |= set(re.findall(r'^(?:@testable )?import (C?Proctor\w*)', open(os.path.join(dirpath, f)).read(), re.M))
    for mod in sorted(imported - deps - {name}):
        problems.append(f"{name} imports {mod} but Package.swift does not declare it")
    targets[name] = (deps, imported, is_test)

for name, (deps, imported, is_test) in sorted(targets.items()):
    if is_test:
        continue
    if name not in ALLOWED:
        problems.append(f"{name} is not in the table of allowed edges (.ci/check-imports.py ALLOWED): add it with its edges")
        continue
    allowed = ALLOWED[name]
    if allowed == "*":
        continue
    for mod in sorted((deps | imported) - set(allowed) - {name}):
        if mod.startswith("Proctor") or mod.startswith("CProctor"):
            problems.append(f"{name} → {mod} is not an allowed edge (the table in .ci/check-imports.py)")

# The documented picture matches the table.
documented = False
for dirpath, _, files in os.walk(root):
    if "/.build" in dirpath or "/.git" in dirpath:
        continue
    for f in files:
        if not f.endswith(".md"):
            continue
        text = open(os.path.join(dirpath, f)).read()
        m = re.search(r"<!-- module-graph -->\n(.*?)\n<!-- /module-graph -->", text, re.S)
        if m:
            documented = True
            if m.group(1).strip() != picture().strip():
                problems.append(f"{os.path.relpath(os.path.join(dirpath, f), root)}: the module-graph picture differs from the table; "
                                "paste the output of `python3 .ci/check-imports.py --picture`")
if not documented:
    problems.append("no documentation holds the module-graph picture (between <!-- module-graph --> markers)")

for p in problems:
    print("check-imports:", p)
if problems:
    sys.exit(1)
print(f"check-imports: {len([t for t in targets.values() if not t[2]])} targets, every import declared and allowed; the documented graph matches")
