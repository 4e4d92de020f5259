"""Concurrent clients through the chat page's /ask API: answers right, errors, latency.

Start the app first (``python app.py``), then from the repo root:

    python bench/api_load.py http://127.0.0.1:7860/ 50

Each of N threads asks the seed question once through ``gradio_client``; prints
JSON: how many answers were right ("35"), errors, and p50/p95 seconds
(queueing included: the app reads 4 questions at a time).
"""

import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from gradio_client import Client


def _one(url: str) -> tuple[bool, float, str]:
    t = time.perf_counter()
    try:
        r = Client(url, verbose=False).predict("How many boat strikes since August?", [], 5, 1, api_name="/ask")
        return r["answers"][0]["text"] == "35", time.perf_counter() - t, ""
    except Exception as e:  # noqa: BLE001 - every failure is a result to count
        return False, time.perf_counter() - t, f"{type(e).__name__}: {e}"


def main(url: str, clients: int = 50) -> None:
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(_one, [url] * clients))
    times = [t for _, t, _ in results]
    errors = [e for _, _, e in results if e]
    print(json.dumps({"clients": clients, "right": sum(ok for ok, _, _ in results), "errors": len(errors),
                      "p50_s": round(statistics.median(times), 2),
                      "p95_s": round(sorted(times)[int(0.95 * (len(times) - 1))], 2),
                      "first_error": errors[0] if errors else None}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 50)
