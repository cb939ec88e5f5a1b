#!/usr/bin/env python3
"""`proctor model export --gguf` checked in llama.cpp: greedy generations of the exported model under
llama-cpp-python equal Proctor's own, token for token, on held-out task prompts.

usage: gguf-llamacpp-check.py PROCTOR [MODEL TOKENIZER HELDOUT] [--prompts N] [--tokens N]

Needs the `llama_cpp` package (Tests/Scripts/llamacpp-bench.sh builds one into a throwaway venv);
without it the check says so and exits 0, so CI can call it unconditionally. Greedy on both sides:
llama.cpp with top-k 1 and no repetition penalty, evaluating one token at a time from BOS.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

p = argparse.ArgumentParser()
p.add_argument("proctor")
p.add_argument("model", nargs="?", default="fixtures/models/proctor-tiny.bin")
p.add_argument("tokenizer", nargs="?", default="fixtures/models/proctor-tiny.tokenizer.bin")
p.add_argument("heldout", nargs="?", default="fixtures/corpus/heldout.txt")
p.add_argument("--prompts", type=int, default=40)
p.add_argument("--tokens", type=int, default=40)
a = p.parse_args()

try:
    import llama_cpp
    import numpy as np
except ImportError:
    print("gguf-llamacpp-check: skipped: llama_cpp is not installed (bash Tests/Scripts/llamacpp-bench.sh builds it)")
    sys.exit(0)

out = os.path.join(tempfile.mkdtemp(), "model.gguf")
subprocess.run([a.proctor, "model", "export", a.model, "--tokenizer", a.tokenizer, "--gguf", out], check=True, stdout=subprocess.DEVNULL)
info = json.loads(subprocess.run([a.proctor, "model", "info", a.model, "--json"], check=True, capture_output=True, text=True).stdout)
llm = llama_cpp.Llama(model_path=out, n_ctx=info["seq"], n_threads=1, n_batch=info["seq"], logits_all=True, verbose=False)

# The embedded chat template renders messages as Proctor does: with the model's own prompt
# template when its file records one (system and user contents into its placeholders), else as
# the builtin backend's plain template.
import jinja2
template = llm.metadata.get("tokenizer.chat_template")
own = info.get("promptTemplate")
if own:
    messages = [{"role": "system", "content": "classify"}, {"role": "user", "content": "my card was charged twice"}]
    expected = own.replace("{{system}}", "classify").replace("{{user}}", "my card was charged twice")
else:
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi there"}, {"role": "assistant", "content": "Hello."},
                {"role": "user", "content": "Task: classify\nInput: my card was charged twice"}]
    expected = "\n\n".join(m["content"] if m["role"] == "user" else m["role"].capitalize() + ": " + m["content"] for m in messages) + "\n"
rendered = jinja2.Environment().from_string(template).render(messages=messages, bos_token="<s>", eos_token="</s>", add_generation_prompt=True)
if rendered != expected:
    print(f"DIFF chat template: {rendered!r} vs Proctor's {expected!r}")
    sys.exit(1)
print("gguf-llamacpp-check: the embedded chat template renders messages exactly as Proctor does" + (" (the model's own template)" if own else ""))

prompts = []
for block in open(a.heldout).read().split("\n\n"):
    if "\nJSON:" in block:
        prompts.append(block[: block.index("\nJSON:") + len("\nJSON:")] + "\n")
prompts = prompts[: a.prompts]

same = 0
for text in prompts:
    mine = json.loads(subprocess.run([a.proctor, "model", "generate", a.model, "--tokenizer", a.tokenizer, "--prompt", text, "--json", "--threads", "1"],
                                     check=True, capture_output=True, text=True).stdout)
    ids = mine["promptTokenIds"]
    want = mine["generatedTokenIds"][: a.tokens]
    if llm.tokenize(text.encode(), add_bos=True) != ids:
        print(f"DIFF tokenization of {text!r}: llama.cpp {llm.tokenize(text.encode(), add_bos=True)} vs {ids}")
        continue
    llm.reset()
    llm.eval(ids)
    got = []
    while len(got) < len(want):
        t = int(np.argmax(llm.scores[llm.n_tokens - 1]))
        if t in (1, 2):
            break
        got.append(t)
        llm.eval([t])
    if got == want:
        same += 1
    else:
        print(f"DIFF {text!r}: llama.cpp {got} vs Proctor {want}")
print(f"gguf-llamacpp-check: {same}/{len(prompts)} held-out prompts generate the same tokens in llama.cpp ({llama_cpp.__version__}) as in Proctor")
sys.exit(0 if same == len(prompts) else 1)
