#!/usr/bin/env python3
"""Two proctor binaries side by side, whole process, rounds interleaved in a shuffled order.

    python3 Tests/Scripts/ab-whole-process.py BASE_PROCTOR NEW_PROCTOR [ROUNDS] [run|train|both]

run:   `proctor run` on 100,000 echo cases, 3 validators each (the suite `proctor bench harness`
       generates), JUnit + JSON + Markdown written to disk and into /dev/shm; wall time and peak RSS.
train: `proctor model train` on the 0.87 M shape (dim 128, 4 layers, seq 256, batch 16), 20 steps,
       1 and 2 threads; the tokens per second the trainer prints at step 20, and the 2-thread scaling.

This machine's speed swings from minute to minute, so only figures from one invocation compare.
Run from the repository root (training reads fixtures/).
"""
import os, random, re, statistics, subprocess, sys, tempfile, time

base, new = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
what = sys.argv[4] if len(sys.argv) > 4 else "both"
bins = {"base": os.path.abspath(base), "new": os.path.abspath(new)}
random.seed(1)


def run_rows():
    work = tempfile.mkdtemp(prefix="proctor-ab-")
    with open(os.path.join(work, "cases.jsonl"), "w") as f:
        for i in range(100_000):
            f.write('{"id": "case-%d", "vars": {"n": %d, "item": "widget-%d"}}\n' % (i, i, i % 97))
    with open(os.path.join(work, "bench.json"), "w") as f:
        f.write(r'''{"suite": "bench", "backends": [{"id": "echo", "type": "echo"}],
 "prompts": [{"id": "p", "template": "{\"n\": {{n}}, \"item\": \"{{item}}\", \"status\": \"ok\"}"}],
 "defaults": {"validators": [
   {"type": "json"},
   {"type": "equals", "path": "/status", "value": "ok"},
   {"type": "regex", "pattern": "widget-\\d+", "path": "/item"}]},
 "casesFrom": ["cases.jsonl"]}''')
    targets = {"disk": os.path.join(work, "out")}
    if os.path.isdir("/dev/shm"):
        targets["/dev/shm"] = tempfile.mkdtemp(prefix="proctor-ab-", dir="/dev/shm")
    for where, out in targets.items():
        os.makedirs(out, exist_ok=True)
        times = {v: [] for v in bins}
        peak = {v: 0.0 for v in bins}
        for _ in range(rounds):
            order = list(bins)
            random.shuffle(order)
            for v in order:
                cmd = [bins[v], "run", "bench.json", "--junit", f"{out}/junit.xml", "--json", f"{out}/results.json",
                       "--markdown", f"{out}/summary.md", "-q"]
                t0 = time.perf_counter()
                p = subprocess.Popen(cmd, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                _, status, usage = os.wait4(p.pid, 0)
                times[v].append(time.perf_counter() - t0)
                peak[v] = max(peak[v], usage.ru_maxrss / 1024)
                if os.waitstatus_to_exitcode(status) != 0:
                    sys.exit(f"{v}: proctor run exited {os.waitstatus_to_exitcode(status)}")
        for v in bins:
            t = sorted(times[v])
            print(f"run, reports on {where}: {v}: best {t[0]:.3f} s, median {statistics.median(t):.3f} s "
                  f"({t[0] * 10:.1f}-{statistics.median(t) * 10:.1f} µs per case), peak {peak[v]:.0f} MB "
                  f"({peak[v] * 1024 / 100_000:.2f} KB per result)")


def train_rows():
    args = ["model", "train", "--corpus", "fixtures/corpus/train.txt", "--tokenizer", "fixtures/models/proctor-tiny.tokenizer.bin",
            "--lr", "3e-3", "--seed", "1", "--out", os.path.join(tempfile.mkdtemp(prefix="proctor-ab-"), "t.bin"),
            "--dim", "128", "--layers", "4", "--heads", "4", "--seq", "256", "--batch", "16", "--steps", "20", "--eval-every", "1000"]
    tps = {(v, t): [] for v in bins for t in (1, 2)}
    for _ in range(rounds):
        order = list(tps)
        random.shuffle(order)
        for v, t in order:
            err = subprocess.run([bins[v], *args, "--threads", str(t)], capture_output=True, text=True).stderr
            m = re.findall(r"step +20/20.* (\d+) tok/s", err)
            if not m:
                sys.exit(f"{v}: no step-20 line from model train:\n{err[-2000:]}")
            tps[(v, t)].append(int(m[-1]))
    for v in bins:
        one, two = tps[(v, 1)], tps[(v, 2)]
        print(f"train: {v}: 1 thread {min(one)}-{max(one)} (median {statistics.median(one):.0f}) tok/s, "
              f"2 threads {min(two)}-{max(two)} (median {statistics.median(two):.0f}), "
              f"scaling {statistics.median(two) / statistics.median(one):.2f}x of medians")


if what in ("run", "both"):
    run_rows()
if what in ("train", "both"):
    train_rows()
