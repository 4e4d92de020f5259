import shutil
from pathlib import Path

import pytest

from qa.apps.webapp import ChatService, format_answer, format_sources, highlight, safe_filename
from qa.pipeline import QA


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
    history, sources, box, _ = service.ask("How many boat strikes since August?", [], 5, 1)
    assert box == ""
    assert history[0] == {"role": "user", "content": "How many boat strikes since August?"}
    assert "**35" in history[1]["content"] and "maduro-us-talks-drug-trafficking.txt" in history[1]["content"]
    assert "<mark>35" in sources


def test_abstention_message_and_sources(service, monkeypatch):
    monkeypatch.setattr(service.qa.reader, "threshold", 1.01)  # nothing can pass: the page must say so
    history, sources, _, _ = service.ask("What colour is the moon cheese?", [], 3, 1)
    assert "no answer" in history[-1]["content"]
    assert sources.count("<li>") == 3 and "<mark>" not in sources


def test_empty_question_is_a_message_not_an_error(service):
    history, sources, _, _ = service.ask("   ", [{"role": "user", "content": "x"}], 5, 1)
    assert len(history) == 1 and "empty" in sources.lower()


def test_api_answers_and_refusals_have_the_same_keys(service):
    ok = service.api_ask("How many boat strikes since August?", [], 5, 1)
    assert ok["answers"][0]["text"] == "35" and ok["error"] is None
    for bad in ("", "   ", "x" * 5000, None):
        r = service.api_ask(bad, [], 5, 1)
        assert r.keys() == ok.keys() and r["answers"] == [] and r["error"]
    assert service.api_ask("Who?", [], "many", 1)["error"] and service.api_ask("Who?", "Who?", 5, 1)["error"]


def test_starts_with_an_empty_index_where_there_is_no_seeds_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no seeds/ here
    ix = tmp_path / "new-index"
    service = ChatService(ix, qa=None, reader="fast")
    assert "empty index" in service.status_line() and "0 documents" in service.status_line()
    history, _, _, _ = service.ask("Who is the CEO?", [], 5, 1)
    assert "No documents are indexed yet" in history[-1]["content"]
    (tmp_path / "note.txt").write_text("Dana Reyes has been the CEO of Quillon since 2020.")
    text, _ = service.upload([str(tmp_path / "note.txt")], lambda i, n, path: None)
    assert "indexed" in text and len(service.documents()) == 1


def test_upload_flow_and_remove(service, tmp_path):
    good = tmp_path / "Lune river notes.txt"
    good.write_text("The Lune river is 86 kilometres long. It flows into Morecambe Bay.")
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 not really")
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    seen = []
    text, docs = service.upload([str(good), str(bad), str(exe)], lambda i, n, path: seen.append((i, n)))
    assert seen == [(0, 2), (1, 2)]  # progress per file indexed (the .exe never reaches indexing)
    assert "`Lune_river_notes.txt`: indexed" in text
    assert "`broken.pdf`: skipped" in text and "`tool.exe`: skipped: unsupported" in text
    stored = service.index_dir / "uploads" / "Lune_river_notes.txt"
    assert stored.exists() and not (service.index_dir / "uploads" / "broken.pdf").exists()
    assert str(stored.resolve()) in docs
    history, _, _, _ = service.ask("How long is the Lune river?", [], 5, 1)
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


def test_uploads_never_replace_a_different_document_silently(service, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = tmp_path / "report 2023.txt"
    first.write_text("The 2023 report says the ferry carried 41,000 passengers.")
    second = tmp_path / "report_2023.txt"
    second.write_text("The lighthouse was painted red in 2023.")
    text, docs = service.upload([str(first)])
    text, docs = service.upload([str(second)])
    assert "stored as report_2023-2.txt" in text
    assert len([d for d in docs if "report_2023" in d]) == 2
    assert "41,000" in service.ask("How many passengers did the ferry carry?", [], 5, 1)[0][-1]["content"]
    assert "red" in service.ask("What colour was the lighthouse painted?", [], 5, 1)[0][-1]["content"]
    # two files of one name from different folders, in one upload: both kept
    (tmp_path / "a" / "notes.txt").write_text("The pier is 300 metres long.")
    (tmp_path / "b" / "notes.txt").write_text("The harbour wall is 12 metres high.")
    text, docs = service.upload([str(tmp_path / "a" / "notes.txt"), str(tmp_path / "b" / "notes.txt")])
    assert "`notes.txt`: indexed" in text and "`notes-2.txt`: indexed" in text
    # the same name again, later: the user means a new version, and the page says it replaced it
    (tmp_path / "a" / "notes.txt").write_text("The pier is 320 metres long since 2024.")
    text, docs = service.upload([str(tmp_path / "a" / "notes.txt")])
    assert "replaced the earlier upload of the same name" in text
    assert len([d for d in docs if "notes" in d]) == 2
    text, _ = service.upload([str(tmp_path / "a" / "notes.txt")])
    assert "unchanged" in text and "replaced" not in text
    # a broken new version never overwrites the indexed one
    (tmp_path / "a" / "notes.txt").write_bytes(b"")
    text, docs = service.upload([str(tmp_path / "a" / "notes.txt")])
    assert "skipped: empty file; the version indexed earlier is kept" in text
    assert "320 metres" in service.ask("How long is the pier?", [], 5, 1)[0][-1]["content"]
    stored = [d for d in docs if d.endswith("notes.txt")]
    assert len(stored) == 1 and "320 metres" in Path(stored[0]).read_text()


def test_follow_up_questions_in_one_conversation(service):
    history, _, _, turns = service.ask("Who interviewed Maduro?", [], 5, 1)
    assert "Ignacio Ramonet" in history[-1]["content"]
    history, _, _, turns = service.ask("What is his nationality?", history, 5, 1, turns)
    assert "Answered as: What is Ignacio Ramonet's nationality?" in history[-1]["content"].replace("\\", "")
    assert "Spanish" in history[-1]["content"] and len(turns) == 2
    # a new conversation (no earlier turns): the pronoun has nothing to refer to
    history, _, _, _ = service.ask("What is his nationality?", [], 5, 1, [])
    assert "Answered as" not in history[-1]["content"]


def test_feedback_goes_to_an_eval_file(service):
    from qa.eval.evaluation import load_eval_file

    history, _, _, turns = service.ask("Who interviewed Maduro?", [], 5, 1)
    assert "Thanks" in service.feedback(history, turns, 1, True)
    history, _, _, turns = service.ask("What is his nationality?", history, 5, 1, turns)
    assert "type the right answer" in service.feedback(history, turns, 3, False)
    assert "Spanish journalist" in service.feedback(history, turns, 3, False, " Spanish  journalist ")
    assert "Rate an answer" in service.feedback(history, turns, 2, True)  # a user message
    items = load_eval_file(service.index_dir / "feedback.jsonl")
    assert [(i.question, i.answers) for i in items] == [
        ("Who interviewed Maduro?", ["Ignacio Ramonet"]),
        ("What is Ignacio Ramonet's nationality?", ["Spanish journalist"])]


def test_answer_shown_in_its_sentence_with_confidence_words():
    from qa.pipeline import Answer, Result

    p = "Maduro spoke. The Trump administration has conducted 35 known boat strikes since August. Then more."
    at = p.index("35")
    best = Answer("35", 0.81, "/x/seed.txt", 2, 100 + at, 102 + at, p, 100)
    other = Answer("115", 0.2, "/x/other.pdf", 3, 0, 3, "115 dead", 0)
    md = format_answer(Result("q", [best, other], []))
    assert "> The Trump administration has conducted **35** known boat strikes since August." in md
    assert "very likely (81%) · seed.txt, page 2" in md
    assert "Other answers:\n- **115** — unsure (20%) · other.pdf, page 3" in md


def test_look_at_a_source_shows_it_in_its_document_with_the_page(service, tmp_path):
    from makedocs import pdf_lines

    pdf = pdf_lines(tmp_path / "plans.pdf", [
        ["Annual plans were approved by the board in March.", "The new logistics centre will be built in"],
        ["Tilbury, close to the container port of the company.", "Work starts next year."]])
    service.upload([str(pdf)])
    history, _, _, turns = service.ask("Where will the new logistics centre be built?", [], 5, 1)
    assert "Tilbury" in history[-1]["content"] and "page 2" in history[-1]["content"]
    choices = service.source_choices(turns)
    pick = next(i for label, i in choices if "plans.pdf" in label)
    view, image, path = service.source_view(turns, pick)
    assert "<mark>Tilbury</mark>" in view and "plans.pdf, page 2" in view
    assert image is not None and image.size[0] > 300 and path.endswith("plans.pdf")
    assert "pick one of its sources" in service.source_view([], 0)[0]



def test_reader_preset_per_conversation(service):
    own = service.qa.reader.name.removeprefix("packaged-")
    assert service.reader_choices()[0] == own and "fast" in service.reader_choices()
    assert service.reader_for(own) is None and service.reader_for("no-such-reader") is None
    if own != "fast":  # another preset is loaded once, then shared
        assert service.reader_for("fast") is service.reader_for("fast") is not None
    history, _, _, _ = service.ask("How many boat strikes since August?", [], 5, 1, None, "fast")
    assert "**35" in history[1]["content"]
