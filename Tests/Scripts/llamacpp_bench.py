#!/usr/bin/env python3
"""Benchmark anchor: llama.cpp tokens/s on a llama2.c checkpoint, to put beside ours.

Converts a llama2.c checkpoint (version 0 or 1, fp32) plus its tokenizer.bin into GGUF
files (F32 and Q8_0, via the `gguf` package), loads each with llama-cpp-python and measures
  decode:  greedy tokens/s, one token per llm.eval() call, starting from BOS;
  prefill: tokens/s of one llm.eval() over a prompt of random ids.
Best of 3 runs each, per (type, threads). Benchmark-only: never run in CI.
Run it through Tests/Scripts/llamacpp-bench.sh, which sets up the virtualenv.
"""
import argparse
import json
import os
import struct
import sys
import time

import numpy as np
import gguf
from gguf import GGMLQuantizationType as QT

CACHE = "/tmp/proctor-llamacpp-gguf"
V1_MAGIC = 0x616B3432


def read_checkpoint(path):
    """Return (config dict, {llama2.c name: np.ndarray}) from a version 0 or 1 checkpoint."""
    with open(path, "rb") as f:
        head = f.read(256)
    magic, version = struct.unpack("<Ii", head[:8])
    if magic == V1_MAGIC:
        if version != 1:
            sys.exit(f"llamacpp_bench: {path}: checkpoint version {version} unsupported (fp32 v0/v1 only)")
        dim, hidden, layers, heads, kv_heads, vocab, seq = struct.unpack("<7i", head[8:36])
        shared, offset = head[36] != 0, 256
        order = ["rms_att", "rms_ffn", "rms_final", "tok_emb", "wq", "wk", "wv", "wo", "w1", "w2", "w3"]
    else:
        dim, hidden, layers, heads, kv_heads, vocab, seq = struct.unpack("<7i", head[:28])
        shared, vocab, offset = vocab > 0, abs(vocab), 28
        order = ["tok_emb", "rms_att", "wq", "wk", "wv", "wo", "rms_ffn", "w1", "w2", "w3",
                 "rms_final", "freq_real", "freq_imag"]
    head_size = dim // heads
    kv_dim = head_size * kv_heads
    shapes = {
        "tok_emb": (vocab, dim), "rms_att": (layers, dim), "rms_ffn": (layers, dim), "rms_final": (dim,),
        "wq": (layers, dim, dim), "wk": (layers, kv_dim, dim), "wv": (layers, kv_dim, dim),
        "wo": (layers, dim, dim), "w1": (layers, hidden, dim), "w2": (layers, dim, hidden),
        "w3": (layers, hidden, dim), "freq_real": (seq, head_size // 2), "freq_imag": (seq, head_size // 2),
        "classifier": (vocab, dim),
    }
    if not shared:
        order.append("classifier")
    data = np.memmap(path, dtype=np.float32, mode="r", offset=offset)
    weights, pos = {}, 0
    for name in order:
        n = int(np.prod(shapes[name]))
        if pos + n > data.size:
            sys.exit(f"llamacpp_bench: {path} is truncated (at {name})")
        weights[name] = data[pos:pos + n].reshape(shapes[name])
        pos += n
    weights.setdefault("classifier", weights["tok_emb"])
    cfg = dict(dim=dim, hidden=hidden, layers=layers, heads=heads, kv_heads=kv_heads,
               vocab=vocab, seq=seq, head_size=head_size, shared=shared)
    return cfg, weights


def read_tokenizer(path, vocab):
    """llama2.c tokenizer.bin -> (tokens as bytes, scores, GGUF token types)."""
    tokens, scores, types = [], [], []
    with open(path, "rb") as f:
        f.read(4)  # max_token_length
        for i in range(vocab):
            score, n = struct.unpack("<fi", f.read(8))
            text = f.read(n)
            if i <= 2:
                text, kind = text.strip(), gguf.TokenType.CONTROL  # "\n<s>\n" -> "<s>"
            elif len(text) == 6 and text.startswith(b"<0x") and text.endswith(b">"):
                kind = gguf.TokenType.BYTE
            else:
                text, kind = text.replace(b" ", "\u2581".encode()), gguf.TokenType.NORMAL  # back to SentencePiece
            tokens.append(text)
            scores.append(score)
            types.append(kind)
    return tokens, scores, types


def write_gguf(out, cfg, w, tok, qtype):
    writer = gguf.GGUFWriter(out + ".tmp", "llama")
    writer.add_name(os.path.basename(out))
    writer.add_context_length(cfg["seq"])
    writer.add_embedding_length(cfg["dim"])
    writer.add_block_count(cfg["layers"])
    writer.add_feed_forward_length(cfg["hidden"])
    writer.add_head_count(cfg["heads"])
    writer.add_head_count_kv(cfg["kv_heads"])
    writer.add_rope_dimension_count(cfg["head_size"])
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_freq_base(10000.0)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0 if qtype == QT.Q8_0 else gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tok[0])
    writer.add_token_scores(tok[1])
    writer.add_token_types(tok[2])
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)

    def matrix(name, a):
        a = np.ascontiguousarray(a, dtype=np.float32)
        if qtype == QT.Q8_0 and a.shape[-1] % 32 == 0:
            writer.add_tensor(name, gguf.quants.quantize(a, QT.Q8_0), raw_dtype=QT.Q8_0)
        else:  # norms, or rows that are not a whole number of Q8_0 blocks, stay F32
            if qtype == QT.Q8_0:
                print(f"llamacpp_bench: {name} {a.shape} kept F32 (row not a multiple of 32)", file=sys.stderr)
            writer.add_tensor(name, a)

    matrix("token_embd.weight", w["tok_emb"])
    for i in range(cfg["layers"]):
        for gname, lname in [("attn_norm", "rms_att"), ("attn_q", "wq"), ("attn_k", "wk"), ("attn_v", "wv"),
                             ("attn_output", "wo"), ("ffn_norm", "rms_ffn"), ("ffn_gate", "w1"),
                             ("ffn_down", "w2"), ("ffn_up", "w3")]:
            a = w[lname][i]
            if a.ndim == 1:
                writer.add_tensor(f"blk.{i}.{gname}.weight", np.ascontiguousarray(a, dtype=np.float32))
            else:
                matrix(f"blk.{i}.{gname}.weight", a)
    writer.add_tensor("output_norm.weight", np.ascontiguousarray(w["rms_final"], dtype=np.float32))
    matrix("output.weight", w["classifier"])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(out + ".tmp", out)


def converted(model, tokenizer, types):
    """Return {type name: gguf path}, converting only what the cache lacks."""
    os.makedirs(CACHE, exist_ok=True)
    key = "-".join(f"{os.path.basename(p)}-{os.stat(p).st_size}-{int(os.stat(p).st_mtime)}" for p in (model, tokenizer))
    paths = {t: os.path.join(CACHE, f"{key}-{t}.gguf") for t in types}
    missing = [t for t in types if not os.path.exists(paths[t])]
    if missing:
        cfg, w = read_checkpoint(model)
        tok = read_tokenizer(tokenizer, cfg["vocab"])
        for t in missing:
            start = time.time()
            write_gguf(paths[t], cfg, w, tok, {"f32": QT.F32, "q8_0": QT.Q8_0}[t])
            print(f"llamacpp_bench: wrote {paths[t]} in {time.time() - start:.1f}s", file=sys.stderr)
    return paths


def best_of(n, run):
    return max(run() for _ in range(n))


def bench(path, threads, n_decode, n_prompt, seq):
    import llama_cpp
    llm = llama_cpp.Llama(model_path=path, n_ctx=seq, n_threads=threads, n_threads_batch=threads,
                          n_batch=512, verbose=False)
    n_decode = min(n_decode, seq - 1)
    n_prompt = min(n_prompt, seq)
    vocab = llm.n_vocab()
    prompt = np.random.default_rng(0).integers(3, vocab, n_prompt).tolist()

    def next_token():  # greedy over the last position's logits (llm.scores is not kept without logits_all)
        return int(np.argmax(np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(vocab,))))

    def decode():
        llm.reset()
        llm.eval([llm.token_bos()])  # first position: not timed
        start = time.perf_counter()
        for _ in range(n_decode):
            llm.eval([next_token()])
        return n_decode / (time.perf_counter() - start)

    def prefill():
        llm.reset()
        start = time.perf_counter()
        llm.eval(prompt)
        return n_prompt / (time.perf_counter() - start)

    result = {"decode": round(best_of(3, decode), 1), "prefill": round(best_of(3, prefill), 1)}
    llm.close()
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("tokenizer")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--tokens", type=int, default=64, help="decoded tokens per run")
    ap.add_argument("--prompt-tokens", type=int, default=200, help="prefill prompt length")
    ap.add_argument("--types", default="f32,q8_0")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    import llama_cpp

    types = [t.strip().lower() for t in args.types.split(",")]
    if any(t not in ("f32", "q8_0") for t in types):
        sys.exit("llamacpp_bench: --types takes f32 and/or q8_0")
    threads = [int(t) for t in args.threads.split(",")]
    seq = read_checkpoint(args.model)[0]["seq"]
    paths = converted(args.model, args.tokenizer, types)
    results = {}
    for t in types:
        for n in threads:
            r = bench(paths[t], n, args.tokens, args.prompt_tokens, seq)
            results.setdefault(t, {})[str(n)] = r
            print(f"llama.cpp {t:5s} threads={n}: decode {r['decode']:9.1f} tok/s  "
                  f"prefill {r['prefill']:9.1f} tok/s", file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps({"llama.cpp": results, "version": llama_cpp.__version__}))


if __name__ == "__main__":
    main()
