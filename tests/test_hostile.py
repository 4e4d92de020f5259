"""Hostile and broken files never take the product down (issue 23).

Every file of the generated corpus (tests/hostile.py) is read the way `qa index`
reads it, in worker processes within the default limits, and is either indexed
or a named skip whose reason says why. Workers that run out of time or die are
named skips too; the chat page caps what a browser session may send; `qa`
ends quietly on a closed pipe.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import hostile as h
import pytest
from conftest import ROOT
from hostile import CORPUS

from qa.ingest.loading import Document, Limits, LoadError, Skipped
from qa.ingest.loading.limits import check_zip
from qa.ingest.loading.workers import load_in_workers, load_one, run_in_worker


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> Iterator[dict[str, Document | Skipped]]:
    """Each fast corpus file read as `qa index` reads it (worker processes, default limits), once."""
    folder = tmp_path_factory.mktemp("hostile-read")
    files = h.make_corpus(folder)
    started = time.perf_counter()
    out = {name: result for name, (_, result) in zip(files, load_in_workers(files.values()), strict=True)}
    out["__seconds__"] = time.perf_counter() - started  # type: ignore[assignment]
    yield out
    shutil.rmtree(folder)


@pytest.mark.parametrize("case", [c for c in CORPUS if not c.slow], ids=lambda c: c.name)
def test_each_hostile_file_is_indexed_or_a_named_skip(outcomes, case):
    result = outcomes[case.name]
    if case.expect == "indexed":
        assert isinstance(result, Document), f"{case.name}: skipped: {getattr(result, 'reason', '')}"
        assert result.text.strip()
    else:
        assert isinstance(result, Skipped), f"{case.name} was indexed"
        assert h.matches(case, result.reason), f"{case.name}: {result.reason!r}"
        assert "\n" not in result.reason and len(result.reason) < 300


def test_bombs_name_the_limit_they_pass(outcomes):
    assert "the archive_bytes limit" in outcomes["bomb.docx"].reason
    assert outcomes["bomb.docx"].reason.startswith("expands past 1 GB")
    assert "pdf_stream_bytes" in outcomes["flate_bomb.pdf"].reason
    assert "has 10,000 pages" in outcomes["pages_10k.pdf"].reason
    assert "file_bytes" in outcomes["huge_1gb.txt"].reason


def test_a_zip_whose_member_inflates_past_its_declared_size_fails_with_little_memory(tmp_path):
    lying = h.make_lying_sizes(tmp_path)
    with pytest.raises(LoadError, match="does not match"):
        check_zip(lying)


def test_limits_are_configurable_and_named_in_the_skip(tmp_path):
    pdf = h._pages_pdf(tmp_path / "three.pdf", 3, h._line_content("The crane lifted 35 containers."))
    _, out = next(load_in_workers([pdf], Limits.parse(["pdf_pages=2"])))
    assert out.reason == "has 3 pages, more than 2 (the pdf_pages limit)"


def test_limit_settings_are_parsed_and_checked():
    limits = Limits.parse("pdf_pages=5000, worker_memory=4G, archive-bytes=512M")
    assert (limits.pdf_pages, limits.worker_memory, limits.archive_bytes) == (5000, 4 << 30, 512 << 20)
    with pytest.raises(ValueError, match="unknown limit 'pages=3'.*pdf_pages"):
        Limits.parse(["pages=3"])
    with pytest.raises(ValueError, match="positive whole number"):
        Limits.parse(["pdf_pages=-1"])


def test_a_file_that_takes_too_long_is_a_named_skip_and_the_next_one_is_read(tmp_path):
    slow = h.make_length_chain(tmp_path, depth=100_000)  # about 5 s of pdfminer's time
    good = h.make_good(tmp_path)
    results = dict(load_in_workers([slow, good], Limits(worker_seconds=1)))
    assert "took longer than 1 s to read (the worker_seconds limit)" == results[slow].reason
    assert isinstance(results[good], Document) and "35 containers" in results[good].text


def test_a_worker_that_dies_or_hangs_is_named_and_replaced():
    with pytest.raises(LoadError, match=r"died \(signal 6\)"):
        run_in_worker(os.abort)
    with pytest.raises(LoadError, match="took longer than 1 s"):
        run_in_worker(time.sleep, 30, limits=Limits(worker_seconds=1))
    assert run_in_worker(sum, [1, 2, 3]) == 6  # the pool goes on with fresh workers


def test_a_worker_past_its_memory_limit_is_a_named_skip(tmp_path):
    big = tmp_path / "big.txt"
    with big.open("w") as f:
        for _ in range(40):
            f.write("harbour crane containers Monday lifted " * 50_000 + "\n")  # 80 MB of words
    limits = Limits(worker_memory=160 << 20)
    _, out = next(load_in_workers([big], limits))
    assert isinstance(out, Skipped) and "the worker_memory limit" in out.reason and "160 MB" in out.reason


def test_qa_index_goes_on_past_hostile_files_and_answers_from_the_good_one(tmp_path, embedder, reader):
    from qa.pipeline import QA, build_index

    folder = tmp_path / "docs"
    folder.mkdir()
    for make in (h.make_bomb_docx, h.make_flate_bomb_pdf, h.make_nested_divs, h.make_pages_5k_text, h.make_good):
        make(folder)
    report = build_index(tmp_path / "index", [folder], embedder=embedder)
    reasons = {Path(s.source).name: s.reason for s in report.skipped}
    assert sorted(reasons) == ["bomb.docx", "divs_100k.html", "flate_bomb.pdf", "pages_5k_text.pdf"]
    assert "archive_bytes" in reasons["bomb.docx"] and "pdf_pages" in reasons["pages_5k_text.pdf"]
    assert "nested too deeply" in reasons["divs_100k.html"]
    assert [Path(a).name for a in report.added] == ["good.txt"]
    answer = QA(tmp_path / "index", reader).ask("How many containers did the harbour crane lift?").answers[0]
    assert answer.text == "35" and Path(answer.source).name == "good.txt"


def test_a_pdf_whose_only_text_is_a_running_line_says_so(tmp_path):
    pdf = h._pages_pdf(tmp_path / "same.pdf", 30, h._line_content("Quarterly report of the harbour"))
    with pytest.raises(LoadError, match="only text is a line repeated"):
        load_one(pdf)


# --- the chat page's server ------------------------------------------------------------------------

@pytest.fixture
def service(tmp_path, embedder, reader):
    from qa.apps.webapp import ChatService
    from qa.pipeline import QA, build_index

    build_index(tmp_path / "index", [], embedder=embedder)
    return ChatService(tmp_path / "index", qa=QA(tmp_path / "index", reader, embedder=embedder))


def test_upload_of_bombs_is_named_per_file_and_nothing_indexed_is_lost(service, tmp_path):
    good = h.make_good(tmp_path)
    text, _ = service.upload([str(good)], session="s1")
    assert "good.txt`: indexed" in text
    bombs = [h.make_bomb_docx(tmp_path), h.make_flate_bomb_pdf(tmp_path), h.make_nested_divs(tmp_path)]
    text, docs = service.upload([str(b) for b in bombs], session="s1")
    assert "bomb.docx`: skipped: expands past 1 GB" in text
    assert "flate_bomb.pdf`: skipped: a stream expands past" in text
    assert "divs_100k.html`: skipped: nested too deeply" in text
    assert [Path(d).name for d in docs] == ["good.txt"]
    assert str(tmp_path) not in text and "/" not in text.replace("`", "")
    assert service.qa.ask("How many containers did the harbour crane lift?").answers[0].text == "35"


def test_uploads_are_capped_per_upload_and_per_session(service, tmp_path, monkeypatch):
    from qa.apps import webapp

    files = []
    for i in range(webapp.MAX_UPLOAD_FILES + 1):
        files.append(tmp_path / f"n{i}.txt")
        files[-1].write_text(f"Note {i}: the crane lifted {i} containers.")
    text, _ = service.upload([str(f) for f in files], session="s2")
    assert text == f"Upload at most {webapp.MAX_UPLOAD_FILES} files at a time."
    monkeypatch.setattr(webapp, "MAX_SESSION_UPLOAD_FILES", 2)
    text, _ = service.upload([str(f) for f in files[:3]], session="s2")
    assert text.count(": indexed") == 2 and "already uploaded 2 files" in text
    text, _ = service.upload([str(files[3])], session="another")  # another browser is not held back
    assert ": indexed" in text


def test_feedback_is_capped_in_size_and_count(service, tmp_path, monkeypatch):
    from qa.apps import webapp

    (tmp_path / "crane.txt").write_text("The harbour crane lifted 35 containers on Monday.")
    service.upload([str(tmp_path / "crane.txt")], session="s3")
    history, _, _, turns = service.ask("How many containers did the crane lift?", [], 5, 1, [])
    note = service.feedback(history, turns, 1, False, "x" * 20_000_000, session="s3")
    assert note.startswith("The right answer can be at most 1,000 characters")
    assert not (service.index_dir / webapp.FEEDBACK_FILE).exists()
    monkeypatch.setattr(webapp, "MAX_SESSION_FEEDBACK", 1)
    assert service.feedback(history, turns, 1, True, session="s3").startswith("Thanks")
    assert "already rated 1 answers" in service.feedback(history, turns, 1, True, session="s3")
    lines = (service.index_dir / webapp.FEEDBACK_FILE).read_text().splitlines()
    assert len(lines) == 1


def test_documents_are_offered_by_name_and_id_never_by_path(service, tmp_path):
    from qa.apps.webapp import document_id, hide_paths

    (tmp_path / "crane.txt").write_text("The harbour crane lifted 35 containers on Monday.")
    service.upload([str(tmp_path / "crane.txt")], session="s4")
    [(label, ident)] = service.document_choices()
    assert label == "crane.txt" and ident == document_id(service.documents()[0]) and "/" not in ident
    text, docs = service.remove(ident)
    assert text == "Removed `crane.txt`." and docs == []
    assert hide_paths("cannot read /srv/team/index/uploads/a.pdf now") == "cannot read a.pdf now"
    assert str(service.index_dir.resolve()) not in service.status_line()


def test_upload_of_a_bomb_over_http_leaves_the_server_answering(tmp_path):
    """Black-box: app.py with --index-api, a bomb and a good file uploaded through gradio_client."""
    from gradio_client import Client, handle_file

    url, proc = _start_app(tmp_path, "--index-api")
    try:
        client = Client(url, verbose=False)
        bomb, good = h.make_bomb_docx(tmp_path), h.make_good(tmp_path)
        text = client.predict([handle_file(str(bomb)), handle_file(str(good))], api_name="/upload")[0]
        assert "bomb.docx`: skipped: expands past 1 GB" in text and "good.txt`: indexed" in text
        assert str(tmp_path) not in text
        reply = client.predict("How many containers did the harbour crane lift?", [], 5, 1, api_name="/ask")
        assert reply["answers"][0]["text"] == "35" and reply["answers"][0]["source"] == "good.txt"
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _start_app(tmp_path: Path, *args: str) -> tuple[str, subprocess.Popen]:
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
    log = open(tmp_path / "app.log", "w")  # noqa: SIM115 - the server writes it while it runs
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--index", str(tmp_path / "index"),
                             "--reader", "fast", *args], cwd=tmp_path, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    url, deadline = f"http://127.0.0.1:{port}/", time.time() + 180
    while time.time() < deadline and proc.poll() is None:
        try:
            urllib.request.urlopen(url, timeout=2)
            return url, proc
        except OSError:
            time.sleep(1)
    proc.kill()
    pytest.fail("app did not start: " + (tmp_path / "app.log").read_text()[-2000:])


# --- the command line ---------------------------------------------------------------------------------

def test_qa_ends_quietly_when_its_reader_goes_away(tmp_path):
    good = h.make_good(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "qa.apps.cli", "index", str(good), "--index", str(tmp_path / "ix")],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader of its output is gone before it writes (`qa ... | head -1`)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 141, err.decode()[-500:]
    assert b"Broken pipe" not in err and b"Traceback" not in err and b"error" not in err


def test_an_api_call_cannot_send_an_unbounded_history(service):
    from qa.apps.webapp import MAX_HISTORY_QUESTIONS

    reply = service.api_ask("Who?", ["What?"] * (MAX_HISTORY_QUESTIONS + 1))
    assert reply["error"] == f"history holds at most {MAX_HISTORY_QUESTIONS} questions" and reply["answers"] == []


def test_a_long_scan_gets_its_time_a_page_and_reports_each_page(tmp_path):
    """The watch on a worker's file, with a stand-in for Pebble's future: the clock restarts at
    each page the worker finishes, and stops the file only when one page takes too long."""
    from qa.ingest.loading.workers import _Task

    class Running:
        cancelled = False

        def done(self):
            return self.cancelled

        def running(self):
            return True

        def cancel(self):
            self.cancelled = True
            return True

    class Executor:
        def schedule(self, function, args):
            return Running()

    task, seen = _Task(Path("scan.pdf"), Executor(), Limits(worker_seconds=10), str(tmp_path)), []
    report = lambda path, page, pages: seen.append((path.name, page, pages))
    task.watch(0.0, report)
    Path(task.progress).write_text("1 40")
    task.watch(8.0, report)
    task.watch(17.0, report)
    assert not task.future.cancelled and seen == [("scan.pdf", 1, 40)]
    task.watch(18.5, report)
    assert task.future.cancelled
    assert task.outcome().reason == "took longer than 10 s on page 2 of 40 (the worker_seconds limit)"
