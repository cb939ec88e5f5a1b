#!/usr/bin/env python3
"""Opens Proctor's HTML reports in headless Chromium, as a user would, and checks what is on the
page: the run matrix for the example run and for 10,000 results (order, visible messages, counts,
filters from the URL, time to open and filter), and the diff page. Screenshots land in OUT.

usage: check-report-pages.py PROCTOR_BINARY OUT_DIR    (installs Debian's chromium when it is missing)
"""
import html.parser, json, os, re, shutil, subprocess, sys, tempfile

proctor, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
os.makedirs(out, exist_ok=True)
browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
if not browser:
    # Debian's package, as a user's machine would have it.
    subprocess.run("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium", shell=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    browser = shutil.which("chromium")
if not browser:
    sys.exit("check-report-pages: chromium could not be installed (apt-get install chromium)")
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
failures = []

def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)

def chromium(url, extra):
    return subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *extra, url],
                          capture_output=True, text=True, timeout=120)

def dom(path, hash_=""):
    return chromium("file://" + path + hash_, ["--dump-dom"]).stdout

def screenshot(path, png, size="1400,1800"):
    chromium("file://" + path, ["--window-size=" + size, "--screenshot=" + png])
    check(os.path.exists(png) and os.path.getsize(png) > 10_000, f"screenshot {os.path.basename(png)} rendered")

class Rows(html.parser.HTMLParser):
    """Rows of the matrices (elements with data-case): attributes, hidden or not, and the text a
    reader sees without opening anything (text inside closed <details> is left out)."""
    VOID = {"br", "input", "meta", "img", "hr", "link"}
    def __init__(self):
        super().__init__()
        self.rows, self.body, self.headers = [], {}, []
        self.stack = []          # open elements: (tag, role) with role "row", "header", "details" or ""
        self.row = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        if tag in self.VOID:
            return
        role = ""
        if "data-case" in a and self.row is None:
            self.row = {"attrs": a, "hidden": "hidden" in a, "text": ""}
            role = "row"
        elif "data-col" in a:
            self.headers.append("")
            role = "header"
        elif tag == "details":
            role = "details"
        self.stack.append((tag, role))
    def handle_endtag(self, tag):
        if tag in self.VOID or not self.stack:
            return
        while self.stack:
            t, role = self.stack.pop()
            if role == "row":
                self.rows.append(self.row)
                self.row = None
            if t == tag:
                break
    def handle_data(self, data):
        roles = [r for _, r in self.stack]
        if self.row is not None and "details" not in roles:
            self.row["text"] += data
        if "header" in roles:
            self.headers[-1] += data

def parse(text):
    p = Rows()
    p.feed(text)
    return p

work = tempfile.mkdtemp(prefix="proctor-pages-")

# --- The example run: the matrix as the README describes it.
small = os.path.join(work, "small.html")
subprocess.run([proctor, "run", os.path.join(root, "suites"), "-q", "--html", small, "--json", os.path.join(work, "small.json"),
                "--junit", os.path.join(work, "small.xml"), "--markdown", os.path.join(work, "small.md")], cwd=root)
p = parse(dom(small))
results = json.load(open(os.path.join(work, "small.json")))
case_rows = {(c["suite"], c["case"]) for c in results["cases"]}
check(len(p.rows) == len(case_rows), f"one row per case of the example suites ({len(p.rows)} rows, {len(case_rows)} cases)")
ranks = [int(r["attrs"]["data-rank"]) for r in p.rows if r["attrs"]["data-case"].startswith(("extract", "classify", "list", "convert", "tool", "repair", "date", "people", "yesno", "sum"))]
check(ranks == sorted(ranks), "json-tasks rows: failing cases first")
visible = " ".join(r["text"] for r in p.rows)
check("could not evaluate" in visible or "does not match the schema" in visible, "failed checks' messages are visible without a click")
col = [c for c in results["cases"] if c["suite"] == "json-tasks" and c["prompt"] == "v1" and c["backend"] == "tiny"]
want = f"{sum(c['status'] in ('passed', 'repaired') for c in col)}/{len(col)} passed"
check(any(want in h for h in p.headers), f"per-column pass counts in the header ({want} for json-tasks v1@tiny)")
check(p.body.get("data-shown") == str(len(case_rows)), "the script ran and shows every row by default")
screenshot(small, os.path.join(out, "run-small.png"))
f = parse(dom(small, "#status=failed&prompt=v2"))
shown = [r for r in f.rows if not r["hidden"]]
want = {(c["suite"], c["case"]) for c in results["cases"] if c["prompt"] == "v2" and c["status"] == "failed"}
check(len(shown) == len(want) > 0, f"#status=failed&prompt=v2 leaves the cases that fail under v2 ({len(shown)} of {len(want)})")

# --- 10,000 results: opens and filters in under a second.
big_dir = os.path.join(work, "big")
os.makedirs(big_dir)
cases = "\n".join(json.dumps({"id": f"case-{i}", "vars": {"n": i, "text": f"item {i} of the catalogue"},
                              "validators": [{"type": "contains", "value": "7" if i % 10 == 0 else "item"}]}) for i in range(2500))
open(os.path.join(big_dir, "cases.jsonl"), "w").write(cases + "\n")
open(os.path.join(big_dir, "big.json"), "w").write(json.dumps({
    "suite": "big", "backends": [{"id": "a", "type": "echo"}, {"id": "b", "type": "echo"}],
    "prompts": [{"id": "p1", "template": "{{text}}"}, {"id": "p2", "template": "Answer: {{text}}"}],
    "casesFrom": ["cases.jsonl"]}))
big = os.path.join(work, "big.html")
subprocess.run([proctor, "run", os.path.join(big_dir, "big.json"), "-q", "--html", big, "--json", os.path.join(work, "big-r.json"),
                "--junit", os.path.join(work, "big.xml"), "--markdown", os.path.join(work, "big.md")], cwd=root)
# Timing on a shared machine is noisy: the best of three loads counts.
loads = [parse(dom(big, "#status=failed&q=case-1")) for _ in range(3)]
b = min(loads, key=lambda x: float(x.body.get("data-ready-ms", "1e9")))
check(len(b.rows) == 2500, f"2,500 rows × 4 columns = 10,000 results (got {len(b.rows)} rows)")
ready, filt = float(b.body.get("data-ready-ms", "1e9")), float(b.body.get("data-filter-ms", "1e9"))
check(ready < 1000, f"10,000 results open in under a second ({ready:.0f} ms to ready)")
check(filt < 1000, f"and filter in under a second ({filt:.0f} ms)")
shown = [r for r in b.rows if not r["hidden"]]
check(len(shown) > 0 and all(r["attrs"]["data-case"].startswith("case-1") for r in shown) and all(int(r["attrs"]["data-rank"]) <= 1 for r in shown),
      f"search and status filters leave only failing rows matching 'case-1' ({len(shown)})")
screenshot(big, os.path.join(out, "run-large.png"))

# --- The diff page: side-by-side with changes marked inside the text.
base = os.path.join(work, "small.json")
diff = os.path.join(work, "diff.html")
subprocess.run([proctor, "diff", base, "--prompts", "v1,v2", "--html", diff, "--comment", os.path.join(work, "comment.md")], cwd=root,
               capture_output=True)
d = dom(diff)
check("Left out of the comparison" in d, "the diff says which suites were left out (no prompt v1/v2)")
check("line-through" not in open(diff).read(), "nothing is struck through")
check(len(open(os.path.join(work, "comment.md")).read()) < 65_536, "the pull-request comment fits GitHub's limit")
screenshot(diff, os.path.join(out, "diff.png"))

print(f"check-report-pages: {len(failures)} failed")
sys.exit(1 if failures else 0)
