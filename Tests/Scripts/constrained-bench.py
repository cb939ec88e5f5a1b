#!/usr/bin/env python3
"""Constrained decoding speed: the constraint's time per token (masks, checks, state updates; the
draw every decoder makes is not counted) for the 512-token and the 32,000-token vocabularies, and
what it costs decode beside the same model unconstrained. Whole-process runs of `proctor model
generate --json`, one thread, temperature 1 (random weights: the sampled token is rarely allowed,
so most tokens need the whole mask, the worst case).

    constrained-bench.py PROCTOR SHARED_DIR SCHEMA_DIR
"""
import json
import os
import subprocess
import sys
import tempfile


def generate(proctor, model, tok, extra):
    out = subprocess.run([proctor, "model", "generate", model, "--tokenizer", tok, "--prompt", "Data:", "--threads", "1", "--json"] + extra,
                         capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def main():
    proctor, shared, schemas = sys.argv[1:4]
    tmp = tempfile.mkdtemp()
    big = os.path.join(tmp, "s15m.bin")
    subprocess.run([proctor, "model", "init", "--dim", "288", "--hidden", "768", "--layers", "6", "--heads", "6", "--vocab", "32000",
                    "--seq", "256", "--seed", "1", "--out", big], check=True, capture_output=True)
    models = [("512 (ref-tiny)", os.path.join(shared, "models/ref-tiny/model.bin"), os.path.join(shared, "models/ref-tiny/tokenizer.bin")),
              ("32,000 (stories15M shape)", big, os.path.join(shared, "models/llama2c-tokenizer/tokenizer.bin"))]
    print("| vocabulary | schema | constraint µs/token (mean) | tokens needing the whole mask | unconstrained decode µs/token | decode slowdown |")
    print("|---|---|---|---|---|---|")
    for label, model, tok in models:
        free = generate(proctor, model, tok, ["--temperature", "1", "--steps", "64", "--no-stop"])[0]
        free_us = 1e6 / free["tokensPerSecond"]
        for name in ["person", "numbers", "patterns", "formats", "arrays", "tree", "alternatives"]:
            rows = generate(proctor, model, tok, ["--schema", os.path.join(schemas, name + ".json"), "--temperature", "1", "--top-p", "1",
                                                   "--seed", "1", "--samples", "10"])
            n = sum(len(r["generatedTokenIds"]) for r in rows)
            us = sum(r["constraint"]["microsPerToken"] * len(r["generatedTokenIds"]) for r in rows) / n
            full = sum(r["constraint"]["fullMasks"] for r in rows) / n
            print(f"| {label} | {name} | {us:.1f} | {full * 100:.0f} % | {free_us:.0f} | {1 + us / free_us:.2f}× |")


if __name__ == "__main__":
    main()
