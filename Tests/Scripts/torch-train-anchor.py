"""PyTorch eager CPU anchor for `proctor model train` throughput (Benchmarks.md, never run by CI).

The same Llama shape as the benchmark (dim 128, 4 layers, 4 heads, hidden 352, vocab 512, seq 256,
batch 16, shared classifier, RoPE, SwiGLU, RMSNorm), AdamW (betas 0.9/0.95, weight decay 0.1) and
gradient clipping at 1, trained eagerly on random tokens; prints tokens per second per thread count.

    python3 -m venv /tmp/torch-venv && /tmp/torch-venv/bin/pip install torch   # PyPI's wheel; runs on the CPU
    /tmp/torch-venv/bin/python Tests/Scripts/torch-train-anchor.py [STEPS] [THREADS...]

Tests/Scripts/train-anchors.sh does both and runs it beside `proctor model train`, interleaved.
"""
import sys, time, math
import torch
import torch.nn as nn
import torch.nn.functional as F

DIM, LAYERS, HEADS, HIDDEN, VOCAB, SEQ, BATCH = 128, 4, 4, 352, 512, 256, 16


class RMSNorm(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.w = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return self.w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5))


def rope_tables(hs, T):
    inv = 1.0 / (10000 ** (torch.arange(0, hs, 2).float() / hs))
    ang = torch.outer(torch.arange(T).float(), inv)
    return ang.cos(), ang.sin()


def rope(x, cos, sin):  # x: (B, H, T, hs), interleaved pairs as llama2.c
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.n1, self.n2 = RMSNorm(DIM), RMSNorm(DIM)
        self.wq, self.wk, self.wv, self.wo = (nn.Linear(DIM, DIM, bias=False) for _ in range(4))
        self.w1, self.w3 = nn.Linear(DIM, HIDDEN, bias=False), nn.Linear(DIM, HIDDEN, bias=False)
        self.w2 = nn.Linear(HIDDEN, DIM, bias=False)

    def forward(self, x, cos, sin):
        B, T, _ = x.shape
        h = self.n1(x)
        q, k, v = (w(h).view(B, T, HEADS, DIM // HEADS).transpose(1, 2) for w in (self.wq, self.wk, self.wv))
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.wo(att.transpose(1, 2).reshape(B, T, DIM))
        h = self.n2(x)
        return x + self.w2(F.silu(self.w1(h)) * self.w3(h))


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, DIM)
        self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
        self.norm = RMSNorm(DIM)
        cos, sin = rope_tables(DIM // HEADS, SEQ)
        self.register_buffer("cos", cos)
        self.register_buffer("sin", sin)

    def forward(self, tok, tgt):
        x = self.emb(tok)
        for b in self.blocks:
            x = b(x, self.cos, self.sin)
        logits = self.norm(x) @ self.emb.weight.t()
        return F.cross_entropy(logits.view(-1, VOCAB), tgt.view(-1))


def run(steps, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    m = Model()
    opt = torch.optim.AdamW(m.parameters(), lr=3e-3, betas=(0.9, 0.95), weight_decay=0.1)
    def step():
        tok = torch.randint(0, VOCAB, (BATCH, SEQ))
        tgt = torch.randint(0, VOCAB, (BATCH, SEQ))
        loss = m(tok, tgt)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
    for _ in range(2):
        step()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    dt = time.perf_counter() - t
    params = sum(p.numel() for p in m.parameters())
    print(f"torch {torch.__version__} eager, {params} parameters, threads {threads}: {steps * BATCH * SEQ / dt:.0f} tok/s")


if __name__ == "__main__":
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    for th in (sys.argv[2:] or ["1", "2"]):
        run(steps, int(th))
