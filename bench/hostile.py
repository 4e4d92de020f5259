"""Hostile folder benchmark: `qa index` and the chat page over bombs, a deep page and a 5,000-page PDF.

Makes a folder with a 1 GB DOCX zip bomb, a PDF whose one stream inflates to 1 GB,
an HTML page of 100,000 nested <div>s, a 5,000-page PDF whose pages carry the same
line, and one good file (tests/hostile.py makes them). Then:

1. runs `qa index FOLDER --index TMP` as a subprocess, sampling the memory (RSS) of its
   whole process tree every 50 ms, and prints wall seconds, peak tree MB and each skip;
2. asks the good file's question with `qa ask`;
3. starts `app.py --index-api` on a fresh index, uploads the same folder through
   gradio_client while another client keeps asking, and prints how many questions were
   answered during and after the upload and the server's peak tree memory.

Run from the repository root:  python bench/hostile.py
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import hostile as h  # the corpus makers live with the tests

QUESTION = "How many containers did the harbour crane lift?"
ENV = dict(os.environ, HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False")


def make_folder(folder: Path) -> list[Path]:
    """The issue's folder: two bombs, the nested page, the 5,000-page PDF and one good file."""
    folder.mkdir(parents=True, exist_ok=True)
    return [make(folder) for make in (h.make_bomb_docx, h.make_flate_bomb_pdf, h.make_nested_divs,
                                      h.make_pages_5k_text, h.make_good)]


class TreeMemory:
    """Samples the summed RSS of a process and all its descendants, keeping the peak (bytes)."""

    def __init__(self, pid: int, every: float = 0.05):
        self.root, self.every, self.peak = psutil.Process(pid), every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
                total = 0
                for p in procs:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
                self.peak = max(self.peak, total)
            except psutil.Error:
                return
            time.sleep(self.every)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def index_run(folder: Path, index: Path) -> dict:
    """`qa index` over the folder: wall seconds, peak tree memory, skips, summary."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "qa.apps.cli", "index", str(folder), "--index", str(index)],
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    memory = TreeMemory(proc.pid)
    out, err = proc.communicate(timeout=600)
    peak = memory.stop()
    return {"what": "qa index", "seconds": round(time.perf_counter() - started, 1), "exit": proc.returncode,
            "peak_tree_mb": round(peak / 2**20), "summary": out.strip(),
            "skipped": [line for line in err.splitlines() if line.startswith("skipped")]}


def ask_run(index: Path) -> dict:
    """`qa ask` of the good file's question on the index just built."""
    out = subprocess.run([sys.executable, "-m", "qa.apps.cli", "ask", QUESTION, "--index", str(index), "--json",
                          "--reader", "fast"], check=False, env=ENV, capture_output=True, text=True, timeout=300)
    answers = json.loads(out.stdout)["answers"] if out.returncode == 0 else []
    return {"what": "qa ask", "answer": answers[0]["text"] if answers else None,
            "source": Path(answers[0]["source"]).name if answers else None}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chat_run(files: list[Path], work: Path) -> dict:
    """The folder uploaded through the chat page while a second client keeps asking."""
    from gradio_client import Client, handle_file

    (work / "seed.txt").write_text("The ferry to Tarnwick leaves at 7:15 every morning.")
    port = _free_port()
    env = dict(ENV, GRADIO_SERVER_PORT=str(port))
    subprocess.run([sys.executable, "-m", "qa.apps.cli", "index", str(work / "seed.txt"), "--index", str(work / "ix")],
                   env=ENV, capture_output=True, check=True)
    server = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--index", str(work / "ix"), "--reader", "fast",
                               "--index-api"], env=env, cwd=work, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            time.sleep(1)
    memory = TreeMemory(server.pid)
    asked, answered, done = [0], [0], threading.Event()

    def keep_asking() -> None:
        client = Client(url, verbose=False)
        while not done.is_set():
            reply = client.predict("When does the ferry to Tarnwick leave?", [], 5, 1, api_name="/ask")
            asked[0] += 1
            answered[0] += bool(reply["answers"]) and "7:15" in reply["answers"][0]["text"]
    asker = threading.Thread(target=keep_asking, daemon=True)
    asker.start()
    started = time.perf_counter()
    text = Client(url, verbose=False).predict([handle_file(str(f)) for f in files], api_name="/upload")[0]
    upload_s = time.perf_counter() - started
    done.set()
    asker.join(timeout=120)
    after = Client(url, verbose=False).predict(QUESTION, [], 5, 1, api_name="/ask")
    peak = memory.stop()
    alive = server.poll() is None
    server.terminate()
    server.wait(timeout=30)
    return {"what": "chat page upload", "upload_seconds": round(upload_s, 1), "server_alive": alive,
            "asked_during": asked[0], "answered_during": answered[0],
            "after": after["answers"][0]["text"] if after["answers"] else None,
            "peak_tree_mb": round(peak / 2**20), "result": text.splitlines()}


def main() -> None:
    print(json.dumps({"machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.processor() or ''}".strip(),
                      "date": time.strftime("%Y-%m-%d")}))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = make_folder(work / "folder")
        print(json.dumps(index_run(work / "folder", work / "index")))
        print(json.dumps(ask_run(work / "index")))
        print(json.dumps(chat_run(files, work)))


if __name__ == "__main__":
    main()
