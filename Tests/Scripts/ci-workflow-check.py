#!/usr/bin/env python3
"""Runs .github/workflows/prompts.yml's own commands, in its order, as far as they run without GitHub.

    python3 Tests/Scripts/ci-workflow-check.py PROCTOR_BINARY

A throwaway git repository holds the project's suites/ and fixtures/ twice: a base commit (the
pull request's target, as origin/main) and a head commit. Each `run:` block of the workflow is
executed with bash -eo pipefail (GitHub's default shell) and GitHub's environment: GITHUB_ACTIONS,
GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, GITHUB_WORKSPACE, RUNNER_TEMP. The `uses:` steps are played by
hand (checkout, artifact upload and download, the JUnit publisher checks its file), `gh` is a stub
that hands out the binary and keeps the pull-request comment, and `if:` conditions and `${{ }}`
expressions of the forms the workflow uses are evaluated.

Checks, on the example suites, which fail some cases on purpose: every step runs, every report and
the comment are written, annotations and step summaries come only from the runs under test (never
the base branch), and the job fails once, in its last step, because cases fail.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "pyyaml"], check=True)
    import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fail(msg):
    sys.exit(f"ci-workflow-check: {msg}")


def sh(cmd, cwd, env=None):
    return subprocess.run(cmd, cwd=cwd, env=env, shell=isinstance(cmd, str), check=True, capture_output=True, text=True)


def main():
    if len(sys.argv) != 2:
        fail("usage: ci-workflow-check.py PROCTOR_BINARY")
    binary = os.path.abspath(sys.argv[1])
    workflow = yaml.safe_load(open(os.path.join(ROOT, ".github/workflows/prompts.yml")))
    tmp = tempfile.mkdtemp(prefix="proctor-workflow-")
    try:
        run_workflow(workflow, binary, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def make_repo(tmp):
    """origin/main (the base) and the pull request's head, each with the project's suites and fixtures."""
    repo = os.path.join(tmp, "repo")
    os.makedirs(repo)
    for d in ["suites", "fixtures"]:
        shutil.copytree(os.path.join(ROOT, d), os.path.join(repo, d))
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    sh(git + ["init", "-q", "-b", "main"], repo)
    sh(git + ["add", "-A"], repo)
    sh(git + ["commit", "-q", "-m", "base"], repo)
    sh(git + ["update-ref", "refs/remotes/origin/main", "HEAD"], repo)
    sh(git + ["checkout", "-q", "-b", "head"], repo)
    with open(os.path.join(repo, "suites", "NOTES.txt"), "w") as f:
        f.write("a change in the pull request\n")
    sh(git + ["add", "-A"], repo)
    sh(git + ["commit", "-q", "-m", "head"], repo)
    return repo


def fake_gh(bindir, binary, comments):
    path = os.path.join(bindir, "gh")
    with open(path, "w") as f:
        f.write(f"""#!/usr/bin/env bash
# gh stub: `release download … --output F` hands out the binary under test; `pr comment N --body-file F` keeps F.
set -e
out=""; body=""
while [ $# -gt 0 ]; do
  case "$1" in
    --output) out="$2"; shift ;;
    --body-file) body="$2"; shift ;;
  esac
  shift
done
if [ -n "$out" ]; then cp "{binary}" "$out"; exit 0; fi
if [ -n "$body" ]; then cp "$body" "{comments}/comment-$(date +%s%N).md"; exit 0; fi
echo "gh stub: unexpected call" >&2; exit 1
""")
    os.chmod(path, 0o755)


class Job:
    def __init__(self, name, workspace, tmp, matrix):
        self.name = name
        self.workspace = workspace
        self.matrix = matrix
        self.summary = os.path.join(tmp, f"summary-{name}.md")
        self.temp = os.path.join(tmp, f"runner-temp-{name}")
        os.makedirs(self.temp, exist_ok=True)
        open(self.summary, "w").close()
        self.steps = {}      # id -> {"outcome", "outputs"}
        self.ran = []        # (name, exit code)
        self.stdout = ""


EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def value(expr, job, env):
    expr = expr.strip()
    if expr.startswith("matrix."):
        return str(job.matrix[expr.split(".", 1)[1]])
    if expr == "github.token":
        return "stub-token"
    if expr == "github.base_ref":
        return "main"
    if expr == "github.event.pull_request.number":
        return "7"
    m = re.fullmatch(r"steps\.(\w+)\.outputs\.(\w+)", expr)
    if m:
        return job.steps.get(m.group(1), {}).get("outputs", {}).get(m.group(2), "")
    m = re.fullmatch(r"steps\.(\w+)\.outcome", expr)
    if m:
        return job.steps.get(m.group(1), {}).get("outcome", "")
    if expr.startswith("env."):
        return env.get(expr[4:], "")
    fail(f"expression not understood: {expr}")


def condition(cond, job, env, failed):
    """The `if:` forms the workflow uses; without one, a step runs only while nothing failed."""
    if cond is None:
        return not failed
    c = EXPR.sub(lambda m: m.group(1), str(cond)).strip()
    ok = True
    for part in [p.strip() for p in c.split("&&")]:
        if part == "!cancelled()":
            continue
        if part == "always()":
            continue
        if part == "success()":
            ok = ok and not failed
            continue
        m = re.fullmatch(r"(steps\.\w+\.\w+)\s*==\s*'(\w+)'", part)
        if m:
            ok = ok and value(m.group(1), job, env) == m.group(2)
            continue
        fail(f"condition not understood: {part}")
    return ok


def run_step(step, job, env, artifacts):
    name = EXPR.sub(lambda m: value(m.group(1), job, env), step.get("name", step.get("uses", "run")))
    uses = step.get("uses")
    if uses:
        if uses.startswith("actions/checkout"):
            return name, 0   # the workspace is the checkout
        if uses.startswith("actions/upload-artifact"):
            src = EXPR.sub(lambda m: value(m.group(1), job, env), step["with"]["path"])
            shutil.copy(os.path.join(job.workspace, src), artifacts)
            return name, 0
        if uses.startswith("actions/download-artifact"):
            dest = os.path.join(job.workspace, step["with"]["path"])
            os.makedirs(dest, exist_ok=True)
            for f in os.listdir(artifacts):
                shutil.copy(os.path.join(artifacts, f), dest)
            return name, 0
        if uses.startswith("mikepenz/action-junit-report"):
            path = os.path.join(job.workspace, step["with"]["report_paths"])
            if not os.path.getsize(path):
                return name, 1
            import xml.dom.minidom
            xml.dom.minidom.parse(path)   # the publisher needs well-formed JUnit
            return name, 0
        fail(f"no stand-in for {uses}")
    script = EXPR.sub(lambda m: value(m.group(1), job, env), step["run"])
    output = os.path.join(job.temp, "output")
    open(output, "w").close()
    step_env = dict(env)
    step_env.update({k: EXPR.sub(lambda m: value(m.group(1), job, env), str(v)) for k, v in (step.get("env") or {}).items()})
    step_env.update({"GITHUB_OUTPUT": output, "GITHUB_STEP_SUMMARY": job.summary, "RUNNER_TEMP": job.temp,
                     "GITHUB_WORKSPACE": job.workspace})
    p = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=job.workspace, env=step_env,
                       capture_output=True, text=True, timeout=600)
    job.stdout += p.stdout
    outputs = {}
    for line in open(output):
        if "=" in line:
            k, v = line.rstrip("\n").split("=", 1)
            outputs[k] = v
    if step.get("id"):
        job.steps[step["id"]] = {"outcome": "success" if p.returncode == 0 else "failure", "outputs": outputs}
    if p.returncode != 0:
        print(f"  [{job.name}] step '{name}' exited {p.returncode}: {p.stderr.strip()[-400:]}")
    return name, p.returncode


def run_job(jname, spec, workflow, repo, tmp, artifacts, bindir, matrix=None):
    suffix = "-" + "-".join(str(v) for v in matrix.values()) if matrix else ""
    workspace = os.path.join(tmp, f"ws-{jname}{suffix}")
    subprocess.run(["git", "clone", "-q", repo, workspace], check=True)
    subprocess.run(["git", "-C", workspace, "checkout", "-q", "head"], check=True)
    subprocess.run(["git", "-C", workspace, "update-ref", "refs/remotes/origin/main", "origin/main"], check=True)
    job = Job(jname + suffix, workspace, tmp, matrix or {})
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_") and k not in ("CI",)}
    env.update({k: str(v) for k, v in (workflow.get("env") or {}).items()})
    env.update({"GITHUB_ACTIONS": "true", "CI": "true", "PATH": bindir + os.pathsep + os.environ["PATH"]})
    failed = False
    for step in spec["steps"]:
        if not condition(step.get("if"), job, env, failed):
            job.ran.append((step.get("name", step.get("uses")), "skipped"))
            continue
        name, code = run_step(step, job, env, artifacts)
        job.ran.append((name, code))
        failed = failed or code != 0
    return job


def run_workflow(workflow, binary, tmp):
    repo = make_repo(tmp)
    bindir = os.path.join(tmp, "bin")
    comments = os.path.join(tmp, "comments")
    artifacts = os.path.join(tmp, "artifacts")
    for d in (bindir, comments, artifacts):
        os.makedirs(d)
    fake_gh(bindir, binary, comments)
    jobs = workflow["jobs"]
    shards = []
    for values in jobs["suites"]["strategy"]["matrix"]["shard"]:
        shards.append(run_job("suites", jobs["suites"], workflow, repo, tmp, artifacts, bindir, {"shard": values}))
    report = run_job("report", jobs["report"], workflow, repo, tmp, artifacts, bindir)

    for j in shards + [report]:
        print(f"{j.name}: " + "; ".join(f"{n} → {c}" for n, c in j.ran))
    # The shard jobs pass (failing cases are decided at the end) and upload their results.
    for j in shards:
        bad = [(n, c) for n, c in j.ran if c != 0]
        if bad:
            fail(f"{j.name}: steps did not succeed: {bad}")
        if "## Proctor run" not in open(j.summary).read():
            fail(f"{j.name}: the shard's own run wrote no step summary")
    # Every report step runs; only the last one fails, because cases fail.
    codes = [c for _, c in report.ran]
    if "skipped" in codes:
        fail(f"report job skipped steps: {report.ran}")
    if any(c != 0 for c in codes[:-1]):
        fail(f"report job: a step before the verdict failed: {report.ran}")
    if codes[-1] != 1:
        fail(f"report job: the verdict step should fail (the example suites fail cases on purpose), got {codes[-1]}")
    ws = report.workspace
    for f in ["reports/results.json", "reports/junit.xml", "reports/summary.md", "reports/base.json", "reports/diff.html", "reports/comment.md"]:
        p = os.path.join(ws, f)
        if not os.path.exists(p) or not os.path.getsize(p):
            fail(f"report job did not write {f}")
    merged = json.load(open(os.path.join(ws, "reports/results.json")))["summary"]
    if merged["failed"] == 0:
        fail(f"the merged results show no failures: {merged}")
    posted = os.listdir(comments)
    if len(posted) != 1:
        fail(f"expected one pull-request comment, got {len(posted)}")
    if "Proctor:" not in open(os.path.join(comments, posted[0])).read():
        fail("the posted comment is not proctor diff's")
    # Annotations and summaries come only from the run under test: the base run adds none.
    summary = open(report.summary).read()
    if summary.count("## Proctor run") != 1:
        fail(f"the report job's step summary has {summary.count('## Proctor run')} '## Proctor run' sections (the merged run only)")
    if report.stdout.count("::error file=") != 0:
        fail("the report job printed case annotations (the base branch's run must not)")
    if "::error::some cases fail" not in report.stdout:
        fail("the verdict does not say why the job fails")
    if not any("::error file=" in j.stdout for j in shards):
        fail("no shard annotated its failing cases")
    print(f"ci-workflow-check: {sum(len(j.ran) for j in shards + [report])} steps ran in order; every report and the comment written; "
          f"merged {merged['total']} cases ({merged['failed']} failed); the job fails once, at the verdict")


if __name__ == "__main__":
    main()
