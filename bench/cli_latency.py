"""How long `qa ask` takes from the command line: a new process per question (cold), on the seed index.

    python bench/cli_latency.py                      # 5 cold runs of `python -m qa.apps.cli ask ...` on index/
    python bench/cli_latency.py --runs 9 --index DIR --question "Who did Ignacio Ramonet interview?"

Prints the machine (CPU model, cores, load average), then for each mode the median and minimum
wall seconds and the median and minimum CPU seconds (user + sys of the child processes, from
``resource.getrusage(RUSAGE_CHILDREN)``), and the answer's first line. Wall time depends on what
else the machine runs; CPU seconds much less so: on a shared machine, compare those.

With ``--warm``, also warm runs: the same command while a `qa serve` runs on the index (started
here), which `qa ask` finds through ``INDEX/.server.json`` and asks instead of loading the models.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

QUESTION = "How many boat strikes since August?"


@dataclass
class Run:
    """One `qa ask` process: wall and CPU seconds, its exit status and the answer's first line."""

    wall_s: float
    cpu_s: float
    returncode: int
    answer: str


@dataclass
class Summary:
    """The runs of one mode, summarised."""

    mode: str
    runs: list[Run] = field(default_factory=list)

    def as_dict(self) -> dict:
        walls = [r.wall_s for r in self.runs]
        cpus = [r.cpu_s for r in self.runs]
        return {"mode": self.mode, "runs": len(self.runs),
                "wall_median_s": round(statistics.median(walls), 2), "wall_min_s": round(min(walls), 2),
                "cpu_median_s": round(statistics.median(cpus), 2), "cpu_min_s": round(min(cpus), 2),
                "failed": sum(r.returncode != 0 for r in self.runs),
                "answers": sorted({r.answer for r in self.runs})}


def machine() -> str:
    """One line: CPU model, cores this process may use, load average, Python."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return f"{model}; {cores} cores; load average {load}; Python {platform.python_version()}"


def ask_command(question: str, index: str, python: str, extra: list[str]) -> list[str]:
    """The `qa ask` command line a user would run (as a module, so it uses this tree's code)."""
    return [python, "-m", "qa.apps.cli", *extra, "ask", question, "--index", index]


def cold_runs(n: int, question: str, index: str, python: str = sys.executable, extra: list[str] | None = None,
              cwd: str | None = None) -> Summary:
    """``n`` cold `qa ask` runs, each in a new process that loads the index and the models."""
    return _timed_runs("cold", n, question, index, python, extra or [], cwd)


def _timed_runs(mode: str, n: int, question: str, index: str, python: str, extra: list[str],
                cwd: str | None) -> Summary:
    """``n`` `qa ask` processes, each timed (wall, and CPU of the child) as a user would run them."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    summary = Summary(mode)
    for _ in range(n):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        proc = subprocess.run(ask_command(question, index, python, extra), capture_output=True, text=True,
                              env=env, cwd=cwd, check=False)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        answer = proc.stdout.splitlines()[0] if proc.stdout.strip() else proc.stderr.strip()[-200:]
        summary.runs.append(Run(wall, cpu, proc.returncode, answer))
    return summary


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def warm_runs(n: int, question: str, index: str, python: str = sys.executable, extra: list[str] | None = None,
              cwd: str | None = None) -> Summary:
    """``n`` `qa ask` runs answered by a running `qa serve` on the same index (started here on a free
    port, one question asked first so that its lazy parts are loaded, stopped after): the command
    finds ``INDEX/.server.json`` and asks the server instead of loading the models."""
    folder = Path(cwd or ".") / index
    if (folder / ".server.json").exists():
        raise SystemExit(f"a server already runs on {index}: stop it first")
    port = _free_port()
    server = subprocess.Popen([python, "-m", "qa.apps.cli", "serve", "--index", index, "--port", str(port)],
                              cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "HF_HUB_OFFLINE": "1"})
    try:
        while not (folder / ".server.json").exists():
            if server.poll() is not None:
                raise SystemExit("qa serve exited before it was ready")
            time.sleep(0.5)
        urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=60).read()
        _timed_runs("warm-up", 1, question, index, python, extra or [], cwd)
        return _timed_runs("warm", n, question, index, python, extra or [], cwd)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="runs per mode (default 5)")
    ap.add_argument("--question", default=QUESTION)
    ap.add_argument("--index", default="index", help="the index folder (default: index/, the seed index)")
    ap.add_argument("--python", default=sys.executable, help="the interpreter that runs qa (default: this one)")
    ap.add_argument("--cwd", default=None, help="run `qa` from this folder (default: here)")
    ap.add_argument("--threads", type=int, default=0, help="pass qa --threads N (0: qa's default)")
    ap.add_argument("--warm", action="store_true", help="also time warm runs (a qa serve answers)")
    args = ap.parse_args(argv)
    extra = ["--threads", str(args.threads)] if args.threads else []
    print(machine(), flush=True)
    modes = [cold_runs] + ([warm_runs] if args.warm else [])
    for run in modes:
        summary = run(args.runs, args.question, args.index, args.python, extra, args.cwd)
        print(json.dumps(summary.as_dict(), ensure_ascii=False), flush=True)
    print(machine(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
