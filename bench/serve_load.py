"""Concurrent clients against the REST API of `qa serve`: throughput and p50/p95, by replica count.

Against a running server (`qa serve`, `app.py`, or `qa serve --ray`):

    python bench/serve_load.py --url http://127.0.0.1:8000/ --clients 16 --requests 64

Or on a local Ray, one deployment per replica count over a copy of an index (the fast reader
unless --reader says otherwise; each replica gets --cpus CPUs and as many torch threads):

    python bench/serve_load.py --index index --replicas 1 2 --clients 16 --requests 64

Each client thread sends POST /ask with the seed question ("How many boat strikes since
August?") until the requests are spent. Prints one JSON line per run: replicas, clients,
requests, right answers ("35"), errors, throughput (answers/s), p50/p95 latency (s).
"""

import argparse
import json
import shutil
import socket
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

QUESTION = "How many boat strikes since August?"


def _one(url: str, auth) -> tuple[bool, float, str]:
    t = time.perf_counter()
    try:
        r = httpx.post(url.rstrip("/") + "/ask", json={"question": QUESTION}, auth=auth, timeout=300)
        ok = r.status_code == 200 and r.json()["answers"][0]["text"] == "35"
        return ok, time.perf_counter() - t, "" if r.status_code == 200 else f"HTTP {r.status_code}"
    except Exception as e:  # noqa: BLE001 - every failure is a result to count
        return False, time.perf_counter() - t, f"{type(e).__name__}: {e}"


def load(url: str, clients: int, requests: int, auth=None) -> dict:
    """Send ``requests`` questions from ``clients`` threads; the figures as a dict."""
    _one(url, auth)  # warm-up: the first question loads lazy parts
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(lambda _: _one(url, auth), range(requests)))
    wall = time.perf_counter() - start
    times = sorted(t for _, t, _ in results)
    errors = [e for _, _, e in results if e]
    return {"clients": clients, "requests": requests, "right": sum(ok for ok, _, _ in results),
            "errors": len(errors), "answers_per_s": round(requests / wall, 2),
            "p50_s": round(statistics.median(times), 2), "p95_s": round(times[int(0.95 * (len(times) - 1))], 2),
            "first_error": errors[0] if errors else None}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def on_ray(index: str, replicas: list[int], clients: int, requests: int, reader: str, cpus: float) -> None:
    """One local-Ray deployment per replica count, each loaded with the same traffic."""
    import ray

    from qa.apps import serving
    from qa.cluster import connect

    connect("local")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "index"
        shutil.copytree(index, copy, ignore=shutil.ignore_patterns(".server.json"))
        for n in replicas:
            url = serving.deploy(copy, replicas=n, reader=reader, port=_free_port(), cpus_per_replica=cpus,
                                 threads=max(1, int(cpus)))
            while True:
                try:
                    if httpx.get(url + "health", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(1)
            print(json.dumps({"replicas": n, "reader": reader, **load(url, clients, requests)}), flush=True)
            serving.shutdown()
    ray.shutdown()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", help="a running server")
    p.add_argument("--index", help="an index folder to serve on a local Ray (with --replicas)")
    p.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--requests", type=int, default=64)
    p.add_argument("--reader", default="fast")
    p.add_argument("--cpus", type=float, default=1.0, help="CPUs (and torch threads) per replica")
    p.add_argument("--user", help="NAME:PASSWORD for a server with accounts")
    args = p.parse_args()
    if args.url:
        auth = tuple(args.user.split(":", 1)) if args.user else None
        print(json.dumps({"url": args.url, **load(args.url, args.clients, args.requests, auth)}))
    elif args.index:
        on_ray(args.index, args.replicas, args.clients, args.requests, args.reader, args.cpus)
    else:
        p.error("give --url or --index")


if __name__ == "__main__":
    main()
