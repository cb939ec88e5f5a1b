"""What the `proctor model serve` client checks share: the server on a free loopback port, an
`openai` client for it, a tally of checks, and a stop by Ctrl-C that must exit 0."""
import signal
import subprocess
import sys

import openai

failures = 0


def check(what, ok, detail=""):
    """Prints one check's outcome and counts it when it failed."""
    global failures
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else f": {detail}"))
    if not ok:
        failures += 1


def launch(proctor, model, tokenizer):
    """Starts the server on port 0 (it picks a free one and prints it on its first line)."""
    return subprocess.Popen([proctor, "model", "serve", model, "--tokenizer", tokenizer, "--port", "0", "--threads", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def client(server):
    """An `openai` client for the URL the server printed, without retries."""
    url = server.stdout.readline().split(" on ", 1)[1].split(" ")[0]
    return openai.OpenAI(base_url=url, api_key="not-needed", max_retries=0, timeout=60)


def stop(server):
    """Ctrl-C: the server must stop with exit code 0 (killed after 15 s otherwise)."""
    server.send_signal(signal.SIGINT)
    try:
        code = server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        code = None
    check("Ctrl-C stops the server with exit code 0", code == 0, code)


def finish(name):
    """The tally, and the exit status CI reads."""
    print(f"{name}: {failures} failed")
    sys.exit(1 if failures else 0)
