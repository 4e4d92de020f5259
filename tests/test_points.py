"""Named operating points: choosing them on a curve, and picking one in Python, the CLI, the REST API,
the chat page's handlers and the report (the fast reader, with a copy whose points are set here)."""

from __future__ import annotations

import json
import shutil

import pytest

from qa.answer.reading import OPERATING_POINTS, packaged_reader_dir, point_name, point_threshold
from qa.eval.points import Candidate, answer_at, choose_points, measure, sweep, wrong_share

QUESTION = "How many boat strikes since August?"


def rows_of(spec: list[tuple[list[str], str, float]]) -> list[dict]:
    """Questions with one candidate each: (gold answers, the span offered, its confidence)."""
    return [{"answers": gold, "candidates": [Candidate(text, 0.5, conf)]} for gold, text, conf in spec]


# right answers score high, wrong ones and answers to unanswerable questions lower
ROWS = rows_of([(["35"], "35", 0.99), (["Paris"], "Paris", 0.97), (["1990"], "1990", 0.9),
                (["blue"], "red", 0.8), ([], "a guess", 0.6), ([], "another", 0.3), (["x"], "y", 0.2)])


def test_measure_counts_coverage_accuracy_and_f1():
    m = measure(ROWS, 0.85)
    assert m["coverage"] == pytest.approx(3 / 7) and m["accuracy"] == 1.0
    assert m["f1"] == pytest.approx(5 / 7)  # 3 right answers + 2 unanswerable questions declined
    assert m["no_answer_accuracy"] == 1.0 and m["has_answer_coverage"] == pytest.approx(3 / 5)
    everything = measure(ROWS, 0.0)
    assert everything["coverage"] == 1.0 and everything["accuracy"] == pytest.approx(3 / 7)


def test_points_are_ordered_and_chosen_by_their_rules():
    chosen = choose_points(sweep(ROWS))
    assert list(chosen) == list(OPERATING_POINTS)
    assert chosen["answer-more"] <= chosen["balanced"] <= chosen["careful"]
    balanced, careful = measure(ROWS, chosen["balanced"]), measure(ROWS, chosen["careful"])
    assert wrong_share(careful) <= wrong_share(balanced) / 2 and careful["accuracy"] > balanced["accuracy"]
    more = measure(ROWS, chosen["answer-more"])
    assert 1 - more["has_answer_coverage"] <= (1 - balanced["has_answer_coverage"]) / 2
    assert more["coverage"] >= balanced["coverage"]


def test_open_mode_answer_changes_passage_as_the_threshold_rises():
    cands = [Candidate("first", 0.9, 0.5, rank=0), Candidate("second", 0.6, 0.95, rank=1),
             Candidate("keyed", 0.06, 0.1, rank=2, supported=True)]
    assert answer_at(cands, 0.0).text == "first"
    assert answer_at(cands, 0.9).text == "second"  # the first passage's span no longer counts
    assert answer_at(cands, 0.99).text == "keyed"  # supported: accepted up to a threshold of 1
    assert answer_at(cands, 1.01) is None


@pytest.mark.parametrize("name", ["careful", "Careful", "answer_more", "answer more", " balanced "])
def test_point_names(name):
    assert point_name(name) in OPERATING_POINTS


def test_point_threshold_validation():
    calibrated = {"null_threshold": 0.9, "operating_points": {"careful": {"threshold": 0.99}}}
    assert point_threshold(calibrated, "careful") == 0.99
    assert point_threshold(calibrated, "balanced") == 0.9  # the calibrated threshold
    with pytest.raises(ValueError, match="no calibrated 'answer-more'"):
        point_threshold(calibrated, "answer-more")
    with pytest.raises(ValueError, match="unknown operating point 'sloppy'.*answer-more, balanced, careful"):
        point_threshold(calibrated, "sloppy")
    with pytest.raises(ValueError, match="unknown operating point"):
        point_name(None)


def test_the_cli_names_the_readers_points():
    from qa.apps.cli import POINTS, _parser

    assert POINTS == OPERATING_POINTS
    args = _parser().parse_args(["ask", "q", "--point", "careful"])
    assert args.point == "careful" and args.threshold is None
    assert _parser().parse_args(["eval", "f.json", "--operating-point", "answer-more"]).point == "answer-more"
    assert _parser().parse_args(["chat"]).point is None
    with pytest.raises(SystemExit):
        _parser().parse_args(["ask", "q", "--point", "sloppy"])


def test_shipped_readers_hold_their_points():
    for folder in (packaged_reader_dir(), packaged_reader_dir().parent / "reader-base"):
        config = json.loads((folder / "qa_reader.json").read_text())
        points = config.get("operating_points")
        if points is None:
            pytest.skip("points not written yet")
        assert list(points) == list(OPERATING_POINTS)
        assert points["balanced"]["threshold"] == config["null_threshold"]
        assert points["answer-more"]["threshold"] <= points["balanced"]["threshold"] <= points["careful"]["threshold"]
        for p in points.values():
            assert 0 <= p["coverage"] <= 1 and 0 <= p["accuracy"] <= 1


@pytest.fixture(scope="module")
def pointed_dir(tmp_path_factory):
    """A copy of the fast reader whose careful point declines everything and answer-more nothing."""
    folder = tmp_path_factory.mktemp("pointed") / "reader"
    shutil.copytree(packaged_reader_dir(), folder)
    config = json.loads((folder / "qa_reader.json").read_text())
    config["operating_points"] = {"answer-more": {"threshold": 0.0}, "balanced": {"threshold": 0.5},
                                  "careful": {"threshold": 1.01}}
    (folder / "qa_reader.json").write_text(json.dumps(config))
    return folder


@pytest.fixture(scope="module")
def pointed(pointed_dir):
    from qa.answer.reading import Reader

    return Reader(str(pointed_dir))


def test_reader_at_a_point(pointed_dir, pointed):
    from qa.answer.reading import Reader

    careful = pointed.at_point("careful")
    assert careful.threshold == 1.01 and careful.model is pointed.model and pointed.threshold != 1.01
    assert pointed.at_point(None) is pointed
    assert Reader(str(pointed_dir), operating_point="careful", threshold=0.3).threshold == 0.3  # overrides
    with pytest.raises(ValueError, match="unknown operating point"):
        Reader("no/such/folder", operating_point="sloppy")  # before anything loads


def test_qa_operating_point(seed_index, embedder, pointed):
    from qa.pipeline import QA

    assert QA(seed_index, pointed, embedder, operating_point="careful").ask(QUESTION).abstained
    assert QA(seed_index, pointed, embedder, operating_point="answer-more").ask(QUESTION).answers[0].text == "35"
    with pytest.raises(ValueError, match="unknown operating point 'sloppy'"):
        QA(seed_index, pointed, embedder, operating_point="sloppy")


def test_cli_point_and_threshold(seed_index, pointed_dir, capsys):
    from qa.apps.cli import main

    def ask(*extra: str) -> dict:
        assert main(["ask", QUESTION, "--index", str(seed_index), "--reader", str(pointed_dir), "--json",
                     *extra]) == 0
        return json.loads(capsys.readouterr().out)

    assert ask("--point", "careful")["answers"] == []
    assert ask("--point", "careful", "--threshold", "0")["answers"][0]["text"] == "35"  # --threshold wins


def test_cli_point_the_reader_lacks_is_one_line(seed_index, capsys, tmp_path):
    from qa.apps.cli import main

    folder = tmp_path / "reader"
    shutil.copytree(packaged_reader_dir(), folder)
    (folder / "qa_reader.json").write_text(json.dumps({"rule": "odds", "null_threshold": 0.9}))
    assert main(["ask", QUESTION, "--index", str(seed_index), "--reader", str(folder), "--point", "careful"]) == 1
    assert "no calibrated 'careful' operating point" in capsys.readouterr().err


@pytest.fixture
def service(tmp_path, seed_index, embedder, pointed):
    from qa.apps.webapp import ChatService
    from qa.pipeline import QA

    ix = tmp_path / "index"
    shutil.copytree(seed_index, ix)
    return ChatService(ix, qa=QA(ix, pointed, embedder))


def test_chat_page_answers_setting(service):
    history, _, _, _ = service.ask(QUESTION, [], 5, 1, point="careful")
    assert "no answer" in history[-1]["content"]
    history, _, _, _ = service.ask(QUESTION, [], 5, 1, point="answer-more")
    assert "**35" in history[-1]["content"]
    history, sources, _, _ = service.ask(QUESTION, [], 5, 1, point="sloppy")
    assert history == [] and "Unknown operating point" in sources
    assert service.qa.reader.threshold != 1.01  # the shared reader is left as it was


def test_api_operating_point(service):
    assert service.api_ask(QUESTION, [], 5, 1, operating_point="careful")["abstained"]
    assert service.api_ask(QUESTION, [], 5, 1, operating_point="answer-more")["answers"][0]["text"] == "35"
    bad = service.api_ask(QUESTION, [], 5, 1, operating_point="sloppy")
    assert bad["answers"] == [] and "unknown operating point" in bad["error"]


def test_rest_operating_point_field(service):
    from fastapi.testclient import TestClient

    from qa.apps.server import create_app

    client = TestClient(create_app(service, chat_page=False))
    r = client.post("/ask", json={"question": QUESTION, "operating_point": "careful"})
    assert r.status_code == 200 and r.json()["abstained"] is True
    r = client.post("/ask", json={"question": QUESTION, "operating_point": "answer-more"})
    assert r.json()["answers"][0]["text"] == "35"
    r = client.post("/ask", json={"question": QUESTION, "operating_point": "sloppy"})
    assert r.status_code == 422 and "operating_point" in r.json()["error"]
    assert "operating_point" in client.get("/openapi.json").text


def test_report_draws_coverage_against_accuracy(pointed):
    from qa.eval.evaluation import EvalItem, evaluate_reader
    from qa.eval.report import render_html

    context = "The 2023 report says the ferry carried 41,000 passengers. It sailed from Oban."
    items = [EvalItem("1", "How many passengers did the ferry carry?", ["41,000"], context),
             EvalItem("2", "Where did it sail from?", ["Oban"], context),
             EvalItem("3", "Who built the ferry?", [], context)]
    report = evaluate_reader(items, pointed, sweep=True)
    assert all(len(r["candidates"]) == 1 for r in report["records"])
    report["operating_points"] = {"answer-more": 0.0, "balanced": 0.5, "careful": 0.99}
    page = render_html(report)
    assert "<svg" in page and "Coverage against accuracy" in page
    for name in ("answer-more", "balanced", "careful"):
        assert f">{name}</text>" in page or f"<td>{name}</td>" in page
    assert "<svg" not in render_html(evaluate_reader(items, pointed))  # no candidates, no curve


def test_candidates_give_the_answers_of_qa_ask(seed_index, embedder, pointed, seed_questions):
    """Simulated from the candidates, the answer at a threshold is the one QA.ask gives there."""
    from qa.eval.evaluation import EvalItem, evaluate_open
    from qa.eval.points import as_json, from_json, open_candidates
    from qa.pipeline import QA

    qa = QA(seed_index, pointed, embedder)
    items = [EvalItem(str(n), q["question"], q.get("answers", [])) for n, q in enumerate(seed_questions[:8])]
    report = evaluate_open(items, qa, 5, candidates=lambda q: as_json(open_candidates(qa, q, 5)))
    for record in report["records"]:
        best = answer_at(from_json(record["candidates"]), pointed.threshold, qa.rank_decay)
        assert (best.text if best else "") == record["prediction"]


def test_chat_page_has_the_answers_dropdown(service):
    from qa.apps.webapp import POINT_CHOICES, build_app

    app = build_app(service)
    found = [c for c in app.config["components"] if c.get("props", {}).get("elem_id") == "operating-point"]
    assert found and found[0]["props"]["value"] == "balanced"
    assert [v for _, v in POINT_CHOICES] == list(OPERATING_POINTS)


def test_an_explicit_threshold_means_no_named_point_is_in_use(pointed_dir):
    from qa.answer.reading import Reader

    assert Reader(str(pointed_dir), operating_point="careful").operating_point == "careful"
    assert Reader(str(pointed_dir), operating_point="careful", threshold=0.3).operating_point is None
