#!/usr/bin/env python3
"""Constrained decoding checked by an independent validator (Python `jsonschema`).

For every schema of the test set, `proctor model generate --schema` samples outputs from a
random-weight model (noise when unconstrained) at temperature 1, with and without top-p, and each
output must be valid according to `jsonschema` (its validator for the schema's own dialect).

    constrained-jsonschema-check.py PROCTOR MODEL TOKENIZER SCHEMA_DIR [SAMPLES]
"""
import decimal
import json
import os
import subprocess
import sys

import jsonschema


def main():
    proctor, model, tokenizer, folder = sys.argv[1:5]
    samples = int(sys.argv[5]) if len(sys.argv) > 5 else 20
    total = 0
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".json"):
            continue
        path = os.path.join(folder, name)
        schema = json.load(open(path))
        validator = jsonschema.validators.validator_for(schema)(schema)
        for top_p in ("1", "0.9"):
            out = subprocess.run([proctor, "model", "generate", model, "--tokenizer", tokenizer, "--prompt", "Data:", "--schema", path,
                                  "--temperature", "1", "--top-p", top_p, "--seed", "1", "--samples", str(samples), "--json", "--threads", "1"],
                                 capture_output=True, text=True)
            if out.returncode != 0:
                sys.exit(f"{name}: proctor failed: {out.stderr}")
            for line in out.stdout.splitlines():
                text = json.loads(line)["text"]
                # Decimals, so a long fraction is not rounded into an integer (which oneOf would then see twice).
                errors = list(validator.iter_errors(json.loads(text, parse_float=decimal.Decimal)))
                if errors:
                    sys.exit(f"{name} (top-p {top_p}): jsonschema rejects {text}: {errors[0].message}")
                total += 1
    print(f"ci: {total} constrained outputs over {len(os.listdir(folder))} schemas, all valid according to Python jsonschema")


if __name__ == "__main__":
    main()
