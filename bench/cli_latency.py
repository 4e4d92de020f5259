"""`qa ask` wall time from the shell: cold (loads the models) and warm (a `qa serve` on the index answers).

Starts nothing but `qa` processes; run from the repository root:

    python bench/cli_latency.py --index index --runs 5

Cold: `qa ask` with no server running (the process loads the index and the models). Warm: the
same command while `qa serve --index DIR` runs (started here on a free port, stopped after): the
command finds INDEX/.server.json and asks the server. Prints JSON with p50/max seconds of each.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

QUESTION = "How many boat strikes since August?"


def _ask(index: str) -> float:
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "qa.cli", "ask", QUESTION, "--index", index],
                         capture_output=True, text=True, check=True)
    if not out.stdout.startswith("35"):
        raise SystemExit(f"unexpected answer: {out.stdout[:200]}")
    return time.perf_counter() - t


def _figures(times: list[float]) -> dict:
    return {"p50_s": round(statistics.median(times), 3), "max_s": round(max(times), 3), "runs": len(times)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--index", default="index")
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    if (Path(args.index) / ".server.json").exists():
        raise SystemExit(f"a server is running on {args.index}: stop it for the cold figure")
    cold = [_ask(args.index) for _ in range(args.runs)]
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "qa.cli", "serve", "--index", args.index, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
    try:
        while not (Path(args.index) / ".server.json").exists():
            if server.poll() is not None:
                raise SystemExit("qa serve exited")
            time.sleep(0.5)
        urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=30).read()
        _ask(args.index)  # the server's first question loads lazy parts
        warm = [_ask(args.index) for _ in range(args.runs)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(json.dumps({"question": QUESTION, "cold": _figures(cold), "warm": _figures(warm)}))


if __name__ == "__main__":
    main()
