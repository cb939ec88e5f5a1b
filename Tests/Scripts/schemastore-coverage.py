#!/usr/bin/env python3
"""SchemaStore coverage of `proctor generate cases`, constrained decoding and `proctor validate`.

For every schema in SCHEMASTORE/schemas (cross-file references served from that folder as a registry
for https://json.schemastore.org/):
  generate   `proctor generate cases --count 5`; ok when it exits 0 with 5 instances Python jsonschema
             accepts (draft by `$schema`, the same registry);
  constrain  `proctor model generate MODEL --schema S`; ok when the output is one instance jsonschema
             accepts;
  validate   every positive (test/NAME/*) and negative (negative_test/NAME/*) JSON/YAML instance; ok
             when proctor's verdict is SchemaStore's expectation, counted where jsonschema agrees too.
Prints one line per failure (with the reason) and the totals; --json FILE writes every row.

    python3 Tests/Scripts/schemastore-coverage.py --proctor .build/release/proctor \
        --schemastore ../shared/schemastore --model M.bin --tokenizer T.bin [--only generate,constrain,validate]
"""
import argparse, json, os, re, subprocess, sys, time, collections

ap = argparse.ArgumentParser()
ap.add_argument("--proctor", default=".build/release/proctor")
ap.add_argument("--schemastore", default="../shared/schemastore")
ap.add_argument("--model"), ap.add_argument("--tokenizer")
ap.add_argument("--only", default="generate,constrain,validate")
ap.add_argument("--timeout", type=float, default=30)
ap.add_argument("--limit", type=int, default=0)
ap.add_argument("--match", default="")
ap.add_argument("--json")
ap.add_argument("--max-tokens", type=int, default=0)
ap.add_argument("--quiet", action="store_true")
ap.add_argument("--no-registry", action="store_true", help="do not pass --registry (for builds before it existed)")
a = ap.parse_args()
only = set(a.only.split(","))

import jsonschema, yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7, specification_with

base = "https://json.schemastore.org/"
sdir = os.path.join(a.schemastore, "schemas")
names = sorted(f[:-5] for f in os.listdir(sdir) if f.endswith(".json"))
if a.match: names = [n for n in names if re.search(a.match, n)]
if a.limit: names = names[: a.limit]
docs = {}
for f in sorted(os.listdir(sdir)):
    if f.endswith(".json"):
        try: docs[f[:-5]] = json.load(open(os.path.join(sdir, f), encoding="utf-8-sig"))
        except Exception as e: print(f"unreadable {f}: {e}", file=sys.stderr)

def resource(doc):
    return Resource.from_contents(doc, default_specification=specification_with(doc.get("$schema", "http://json-schema.org/draft-07/schema#") if isinstance(doc, dict) else "http://json-schema.org/draft-07/schema#", default=DRAFT7)) if isinstance(doc, dict) else Resource.from_contents(doc, default_specification=DRAFT7)

registry = Registry().with_resources([(base + n + ext, resource(d)) for n, d in docs.items() for ext in (".json", "")])

def judge(name, instance):
    """None when valid, else jsonschema's first error message (or the exception)."""
    schema = docs[name]
    try:
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
        v = cls(schema, registry=registry) if not isinstance(schema, dict) or "$id" in schema or "id" in schema else cls({**schema, "$id": base + name + ".json"} if "$schema" in schema and "draft-04" not in schema.get("$schema", "") and "draft-06" not in schema.get("$schema", "") else schema, registry=registry)
        err = next(iter(v.iter_errors(instance)), None)
        return None if err is None else err.message[:160]
    except Exception as e:
        return f"jsonschema cannot judge: {type(e).__name__}: {str(e)[:120]}"

def run(cmd, timeout):
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"), time.time() - t0
    except subprocess.TimeoutExpired:
        return "timeout", "", "", time.time() - t0

reg = [] if a.no_registry else ["--registry", f"{base}={os.path.abspath(sdir)}"]
rows = []
def reason(err):
    line = err.strip().splitlines()[-1] if err.strip() else ""
    return line[:200]

tally = collections.Counter()
for n in names:
    path = os.path.join(sdir, n + ".json")
    if "generate" in only:
        code, out, err, secs = run([a.proctor, "generate", "cases", "--schema", path, "--count", "5", *reg], a.timeout)
        row = {"tool": "generate", "schema": n, "seconds": round(secs, 2)}
        if code == 0:
            lines = [l for l in out.splitlines() if l.strip()]
            bad = [judge(n, json.loads(l)) for l in lines]
            bad = [b for b in bad if b]
            distinct = len(set(lines))
            row.update(ok=len(lines) == 5 and not bad, count=len(lines), distinct=distinct, invalid=bad[:2])
        else:
            row.update(ok=False, exit=code, reason=reason(err))
        rows.append(row)
    if "constrain" in only and a.model:
        cmd = [a.proctor, "model", "generate", a.model, "--tokenizer", a.tokenizer, "--schema", path, "--json", "--temperature", "1", "--seed", "7", *reg]
        if a.max_tokens: cmd += ["--max-tokens", str(a.max_tokens)]
        code, out, err, secs = run(cmd, a.timeout)
        row = {"tool": "constrain", "schema": n, "seconds": round(secs, 2)}
        if code == 0:
            try:
                g = json.loads(out.rstrip("\n").split("\n")[-1]); text = g["text"]
                inst = json.loads(text)
                b = judge(n, inst)
                row.update(ok=b is None, invalid=b, microsPerToken=g.get("constraint", {}).get("microsPerToken"), tokens=len(g["generatedTokenIds"]))
            except Exception as e:
                row.update(ok=False, invalid=f"output not JSON: {e}")
        else:
            row.update(ok=False, exit=code, reason=reason(err))
        rows.append(row)
    if "validate" in only:
        for kind, folder in (("positive", "test"), ("negative", "negative_test")):
            d = os.path.join(a.schemastore, folder, n)
            if not os.path.isdir(d): continue
            for f in sorted(os.listdir(d)):
                fp = os.path.join(d, f)
                ext = f.rsplit(".", 1)[-1].lower()
                if ext not in ("json", "yaml", "yml") or not os.path.isfile(fp): continue
                try:
                    inst = json.load(open(fp, encoding="utf-8-sig")) if ext == "json" else yaml.safe_load(open(fp, encoding="utf-8-sig"))
                    py = judge(n, inst) is None
                except Exception as e:
                    py = None
                code, out, err, secs = run([a.proctor, "validate", "--schema", path, fp, *reg], a.timeout)
                ours = {0: True, 1: False}.get(code)
                want = kind == "positive"
                rows.append({"tool": "validate", "schema": n, "file": f, "kind": kind, "ok": ours == want, "proctor": ours, "jsonschema": py,
                             "agreesWithJsonschema": ours == py, "exit": code, "reason": reason(err) if ours is None else None})

by = collections.defaultdict(list)
for r in rows: by[r["tool"]].append(r)
for tool, rs in by.items():
    if tool == "validate":
        ok = sum(r["ok"] for r in rs); comparable = [r for r in rs if r["jsonschema"] == (r["kind"] == "positive")]
        print(f"validate: {ok}/{len(rs)} instance files as SchemaStore expects; where jsonschema agrees with SchemaStore: "
              f"{sum(r['ok'] for r in comparable)}/{len(comparable)}; refused (exit 2): {sum(r['proctor'] is None for r in rs)}")
        if not a.quiet:
            for r in rs:
                if not r["ok"] and r in comparable: print(f"  validate {r['schema']}/{r['file']} ({r['kind']}): proctor {r['proctor']} {r.get('reason') or ''}")
    else:
        ok = sum(r["ok"] for r in rs)
        print(f"{tool}: {ok}/{len(rs)} schemas ({ok / max(1, len(rs)) * 100:.1f} %); "
              f"refused {sum(r.get('exit') == 2 for r in rs)}, invalid output {sum(bool(r.get('invalid')) for r in rs)}, "
              f"timeouts {sum(r.get('exit') == 'timeout' for r in rs)}, crashes {sum(isinstance(r.get('exit'), int) and r['exit'] not in (0, 1, 2) for r in rs)}; "
              f"slowest {max((r['seconds'] for r in rs), default=0):.1f} s")
        if tool == "constrain":
            mu = sorted(r["microsPerToken"] for r in rs if r.get("microsPerToken") is not None)
            if mu: print(f"  constraint cost: median {mu[len(mu)//2]:.1f} µs/token")
        if tool == "generate":
            low = [r for r in rs if r.get("count") and r["distinct"] < min(4, r["count"])]
            print(f"  schemas with fewer than 4 distinct instances of 5: {len(low)}")
        reasons = collections.Counter()
        for r in rs:
            if not r["ok"]:
                key = r.get("reason") or (f"invalid: {r.get('invalid')}" if r.get("invalid") else f"exit {r.get('exit')}")
                key = re.sub(r"^error: ", "", key)
                key = re.sub(r"^[^:]*\.json: ", "", key)
                key = re.sub(r"'[^']*'", "'…'", key); key = re.sub(r"\d+", "N", key)
                reasons[key[:110]] += 1
        for k, c in reasons.most_common(25 if not a.quiet else 10): print(f"  {c:4d}  {k}")
if a.json: json.dump(rows, open(a.json, "w"), indent=1)
