import shutil
from pathlib import Path

import pytest

from qa.pipeline import QA
from qa.webapp import ChatService, format_answer, format_sources, highlight, safe_filename


@pytest.fixture
def service(tmp_path, seed_index, embedder, reader):
    ix = tmp_path / "index"
    shutil.copytree(seed_index, ix)
    return ChatService(ix, qa=QA(ix, reader, embedder))


def test_safe_filename():
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\me\\My Report (final).PDF") == "My_Report_final_.PDF"
    assert safe_filename("ok-name_1.txt") == "ok-name_1.txt"
    with pytest.raises(ValueError):
        safe_filename("../..")


def test_highlight_escapes_and_marks():
    assert highlight("a <b> 35 c", 6, 8) == "a &lt;b&gt; <mark>35</mark> c"
    assert highlight("text", 3, 3) == "text"


def test_ask_formats_answer_and_sources(service):
    history, sources, box = service.ask("How many boat strikes since August?", [], 5, 1)
    assert box == ""
    assert history[0] == {"role": "user", "content": "How many boat strikes since August?"}
    assert "**35" in history[1]["content"] and "maduro-us-talks-drug-trafficking.txt" in history[1]["content"]
    assert "<mark>35" in sources


def test_abstention_message_and_sources(service, monkeypatch):
    monkeypatch.setattr(service.qa.reader, "threshold", 1.01)  # nothing can pass: the page must say so
    history, sources, _ = service.ask("What colour is the moon cheese?", [], 3, 1)
    assert "no answer" in history[-1]["content"]
    assert sources.count("<li>") == 3 and "<mark>" not in sources


def test_empty_question_is_a_message_not_an_error(service):
    history, sources, _ = service.ask("   ", [{"role": "user", "content": "x"}], 5, 1)
    assert len(history) == 1 and "empty" in sources.lower()


def test_upload_flow_and_remove(service, tmp_path):
    good = tmp_path / "Lune river notes.txt"
    good.write_text("The Lune river is 86 kilometres long. It flows into Morecambe Bay.")
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 not really")
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    text, docs = service.upload([str(good), str(bad), str(exe)])
    assert "`Lune_river_notes.txt`: indexed" in text
    assert "`broken.pdf`: skipped" in text and "`tool.exe`: skipped: unsupported" in text
    stored = service.index_dir / "uploads" / "Lune_river_notes.txt"
    assert stored.exists() and not (service.index_dir / "uploads" / "broken.pdf").exists()
    assert str(stored.resolve()) in docs
    history, _, _ = service.ask("How long is the Lune river?", [], 5, 1)
    assert "86 kilometres" in history[-1]["content"]
    text, docs = service.remove(str(stored.resolve()))
    assert "Removed" in text and not stored.exists() and str(stored.resolve()) not in docs
    assert all(Path(d).name != "Lune_river_notes.txt" for d in service.documents())


def test_format_answer_escapes_markdown():
    from qa.pipeline import Answer, Result

    r = Result("q", [Answer("*bold* [x](y)", 0.5, "/a/f.txt", 2, 0, 1, "p", 0)], [])
    md = format_answer(r)
    assert "\\*bold\\*" in md and "f.txt, page 2" in md and "50%" in md
    assert format_sources(Result("q", [], [])).startswith("<p>")
