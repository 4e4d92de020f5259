import json

import pytest

from qa.eval.evaluation import EvalFileError, exact_match, f1_score, load_eval_file, normalize_answer, score


def test_normalization():
    assert normalize_answer("The  Chevron, Corp.!") == "chevron corp"


def test_em_f1_hand_computed():
    assert exact_match("the Chevron", ["Chevron"]) == 1.0
    # pred tokens: [chevron, corp, oil]; gold [chevron, corp]: p=2/3, r=1, f1=0.8
    assert f1_score("Chevron Corp. oil", ["Chevron Corp."]) == pytest.approx(0.8)
    assert f1_score("Ramonet", ["Nicolas Maduro", "Ignacio Ramonet"]) == pytest.approx(2 / 3)
    assert f1_score("", ["x"]) == 0.0
    assert exact_match("", []) == 1.0 and f1_score("no", []) == 0.0


def test_aggregate_with_unanswerable():
    from qa.eval.evaluation import EvalItem

    items = [EvalItem("a", "q", ["35"]), EvalItem("b", "q", ["Chevron Corp."]),
             EvalItem("c", "q", [])]
    m = score(items, {"a": "35", "b": "Chevron", "c": ""})
    assert m["count"] == 3
    assert m["em"] == pytest.approx(100 * 2 / 3, abs=0.01)
    assert m["f1"] == pytest.approx(100 * (1 + 2 / 3 + 1) / 3, abs=0.01)
    assert m["no_answer_accuracy"] == 100.0
    assert m["has_answer_f1"] == pytest.approx(100 * (1 + 2 / 3) / 2, abs=0.01)


def test_file_formats(tmp_path):
    squad = {"version": "2.0", "data": [{"title": "T", "paragraphs": [{"context": "Ctx 35.", "qas": [
        {"id": "1", "question": "How many?", "answers": [{"text": "35", "answer_start": 4}]},
        {"id": "2", "question": "Who?", "answers": [], "is_impossible": True}]}]}]}
    (tmp_path / "s.json").write_text(json.dumps(squad))
    items = load_eval_file(tmp_path / "s.json")
    assert [(i.id, i.answers, i.context) for i in items] == [("1", ["35"], "Ctx 35."), ("2", [], "Ctx 35.")]
    (tmp_path / "q.jsonl").write_text('{"id": "x", "question": "Q?", "answers": ["a", "b"]}\n')
    assert load_eval_file(tmp_path / "q.jsonl")[0].answers == ["a", "b"]
    (tmp_path / "q.csv").write_text('id,question,answers\nr1,Who?,"[""Ann"", ""Bo""]"\nr2,Why?,Because\n')
    assert [i.answers for i in load_eval_file(tmp_path / "q.csv")] == [["Ann", "Bo"], ["Because"]]


@pytest.mark.parametrize("content", ["{not json", "", '{"foo": 1}'])
def test_unreadable_eval_file(tmp_path, content):
    f = tmp_path / "bad.json"
    f.write_text(content)
    with pytest.raises(EvalFileError):
        load_eval_file(f)


def test_answer_column_or_key_is_read_like_answers(tmp_path):
    (tmp_path / "q.csv").write_text("question,answer\nHow many?,35\n")
    (tmp_path / "q.jsonl").write_text('{"question": "How many?", "answer": "35"}\n')
    assert load_eval_file(tmp_path / "q.csv")[0].answers == ["35"]
    assert load_eval_file(tmp_path / "q.jsonl")[0].answers == ["35"]


def test_html_report(seed_index, tmp_path):
    import base64
    import re

    from qa.apps.cli import main
    from qa.eval.report import question_type, reliability

    qs = tmp_path / "q.jsonl"
    qs.write_text("\n".join(json.dumps(r) for r in [
        {"question": "How many boat strikes since August?", "answers": ["35"]},
        {"question": "Who interviewed Maduro?", "answers": ["Ignacio Ramonet"]},
        {"question": "Which oil company exports Venezuelan crude to the United States?", "answers": ["Texaco"]},
    ]))
    page = tmp_path / "r.html"
    assert main(["eval", str(qs), "--index", str(seed_index), "--html", str(page)]) == 0
    text = page.read_text()
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
    assert len(images) == 3 and all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert "Texaco" in text and "<mark>Chevron" in text  # the wrong answer, marked in its passage
    assert "<td>rule</td><td>odds</td>" in text  # the default reader's rule, named beside its threshold
    threshold = re.search(r"<td>threshold</td><td>([^<]+)</td>", text).group(1)
    assert len(threshold) <= 6  # 0.9299, not 0.9298844081113292
    assert "Ignacio Ramonet</td>" not in text.split("Wrong or partial")[1]  # right answers are not listed
    assert [question_type(q) for q in ("How many?", "In which year?", "Who?", "What is it?", "Name it.")] == [
        "how many", "when", "who", "what", "other"]
    points = reliability([{"prediction": "a", "confidence": 0.95, "em": 1.0},
                          {"prediction": "b", "confidence": 0.91, "em": 0.0},
                          {"prediction": "", "confidence": 0.1, "em": 0.0}])
    assert points == [(0.95, 0.5, 2)]


@pytest.mark.parametrize("content,message", [
    ('{"id": "d", "question": "Q?", "answers": ["a"]}\n{"id": "d", "question": "R?", "answers": ["b"]}',
     "appears more than once"),
    (('{"id": "c", "turns": [{"question": "Q?", "answers": ["a"]}]}\n'
     '{"id": "c", "turns": [{"question": "R?", "answers": ["b"]}]}'), "conversation 'c'"),
    ('{"question": "Q?", "answers": ["a"]}\n{"question": "oops"', "line 2 is not valid JSON"),
    ('{"id": "c", "turns": []}', "non-empty list"),
    ('{"id": "c", "turns": [{"question": "Q?"}, {"answers": ["x"]}]}', "record 1, turn 2 has no question"),
    ('{"question": "Q?", "answers": {"text": "a"}}', "record 1: answers must be a list of strings"),
    ('{\n "version": "1.1",\n "questions": []\n}', "neither SQuAD JSON"),
    ('{"version": "1.1", "questions": []}', "neither SQuAD JSON"),
    ('question,answers\n"Q?","[""a"""', r"record 1 \(line 2\): answers .* is not a valid JSON list"),
])
def test_bad_eval_files_name_the_problem(tmp_path, content, message):
    f = tmp_path / ("q.csv" if content.startswith("question,") else "q.jsonl")
    f.write_text(content)
    with pytest.raises(EvalFileError, match=message):
        load_eval_file(f)


def test_eval_files_with_bom_null_answers_or_json_lines_named_json(tmp_path):
    f = tmp_path / "q.csv"
    f.write_bytes("\ufeffquestion,answers\nWho?,Ann\n".encode())
    assert [(i.question, i.answers) for i in load_eval_file(f)] == [("Who?", ["Ann"])]
    g = tmp_path / "q.json"
    g.write_text('{"question": "Q?", "answers": null}\n{"question": "R?", "answers": ["b"]}\n')
    assert [i.answers for i in load_eval_file(g)] == [[], ["b"]]


def test_conversations_need_open_mode(tmp_path):
    from qa.eval.evaluation import evaluate_reader

    f = tmp_path / "c.jsonl"
    f.write_text('{"id": "c", "turns": [{"question": "Q?", "answers": ["a"], "context": "a b"}]}\n')
    with pytest.raises(EvalFileError, match="open mode"):
        evaluate_reader(load_eval_file(f), reader=None)


class _ScriptedReader:
    """A reader whose best span per context is scripted: (text, span probability, null probability)."""

    def __init__(self, spans: dict[str, tuple[str, float, float]]):
        self.spans = spans

    def read_pairs(self, pairs):
        from qa.answer.reading import Span

        return [[Span(t, p, k, 0, len(t), n)] for k, (_, ctx) in enumerate(pairs)
                for t, p, n in [self.spans[ctx]]]


def test_calibration_picks_the_odds_rule_when_only_it_separates_no_answers():
    from qa.eval.evaluation import EvalItem, calibrate_threshold

    # answerable questions with a flat span distribution (low span probability, null lower still)
    # and unanswerable ones whose best span is peaked but whose null is higher: the span
    # probability ranks them the wrong way round, their odds against null the right way
    spans = {f"a{k}": ("yes", 0.2, 0.05) for k in range(6)} | {f"n{k}": ("no", 0.5, 0.9) for k in range(6)}
    items = [EvalItem(f"qa{k}", "q", ["yes"], f"a{k}") for k in range(6)]
    negatives = [EvalItem(f"qn{k}", "q", [], f"n{k}") for k in range(6)]
    result = calibrate_threshold(items, _ScriptedReader(spans), negatives)
    assert result["rule"] == "odds" and result["f1"] == 100.0
    assert 0.5 / 1.4 < result["null_threshold"] <= 0.2 / 0.25  # between the two kinds of odds
    assert result["by_rule"]["span"]["f1"] < 100.0
    span_only = calibrate_threshold(items, _ScriptedReader(spans), negatives, rules=("span",))
    assert span_only["rule"] == "span" and span_only["f1"] == result["by_rule"]["span"]["f1"]


def test_calibration_takes_the_readiest_threshold_within_a_standard_error_of_the_best():
    import numpy as np

    from qa.eval.evaluation import _pick_threshold

    # 50 answerable questions at confidence 0.6; 45 unanswerable at 0.2, one at 0.3, five at 0.7
    conf = np.array([0.6] * 50 + [0.2] * 45 + [0.3] + [0.7] * 5)
    answered = np.array([1.0] * 50 + [0.0] * 51)
    abstained = 1.0 - answered
    pick = _pick_threshold(conf, answered, abstained, "one-se")
    assert 0.3 < pick["best_threshold"] <= 0.6 and pick["best_f1"] == round(100 * 96 / 101, 2)
    # declining the one at 0.3 as well gains one question in 101, less than a standard error
    assert 0.2 < pick["threshold"] <= 0.3 and 0 < pick["standard_error"] < 5
    assert _pick_threshold(conf, answered, abstained, "best")["threshold"] == pick["best_threshold"]
    # where the best is clearly better (no spread), it is taken
    sharp = _pick_threshold(np.array([0.6] * 50 + [0.2] * 50), answered[:100], abstained[:100], "one-se")
    assert sharp["threshold"] == sharp["best_threshold"] and sharp["best_f1"] == 100.0


def test_reader_applies_its_rule_to_the_threshold():
    from qa.answer.reading import Reader, Span

    reader = Reader.__new__(Reader)  # the rule logic alone, no model
    reader.threshold, reader.rule = 0.5, "odds"
    peaked_but_null = Span("x", 0.6, 0, 0, 1, 0.9)   # odds 0.4
    flat_but_sure = Span("y", 0.2, 0, 0, 1, 0.05)     # odds 0.8
    assert not reader.accepts(peaked_but_null) and reader.accepts(flat_but_sure)
    reader.rule = "span"
    assert reader.accepts(peaked_but_null) and not reader.accepts(flat_but_sure)
    assert Span("z", 0.0, 0, 0, 1, 0.0).odds == 0.0


def test_a_span_the_reader_barely_believes_is_not_an_answer_even_when_null_is_less_likely():
    from qa.answer.reading import MIN_SPAN_SCORE, Reader, Span

    reader = Reader.__new__(Reader)
    reader.threshold, reader.rule = 0.93, "odds"
    guess = Span("Holm", 0.0014, 0, 0, 4, 0.00001)  # odds 0.993, but 0.14 % likely
    assert guess.odds > 0.99 and not reader.accepts(guess)
    assert reader.accepts(Span("Lena Vik", MIN_SPAN_SCORE, 0, 0, 8, 0.001))
    reader.threshold = 0.0  # "answer everything" keeps even guesses
    assert reader.accepts(guess)
    reader.threshold, reader.rule = 0.01, "span"  # under the span rule the threshold is the floor
    assert reader.accepts(Span("x", 0.02, 0, 0, 1, 0.5))


def test_a_json_list_of_questions_and_a_number_as_answer(tmp_path):
    f = tmp_path / "q.json"
    f.write_text('[{"question": "When was Solvia founded?", "answers": 2011},\n'
                 ' {"question": "Who runs it?", "answers": ["Ana Ruiz"]}]')
    items = load_eval_file(f)
    assert [(i.id, i.question, i.answers) for i in items] == [
        ("1", "When was Solvia founded?", ["2011"]), ("2", "Who runs it?", ["Ana Ruiz"])]


def test_bracketed_single_answers_and_non_object_records(tmp_path):
    f = tmp_path / "q.csv"
    f.write_text('question,answers\n"Who wrote it?","[1] Smith"\n')
    assert load_eval_file(f)[0].answers == ["[1] Smith"]
    g = tmp_path / "q.json"
    g.write_text('[{"question": "Q?", "answers": ["a"]}, 7]')
    with pytest.raises(EvalFileError, match="record 2 is not an object with a question"):
        load_eval_file(g)


def test_a_spreadsheet_csv_with_semicolons_is_read(tmp_path):
    from qa.eval.evaluation import load_eval_file

    f = tmp_path / "excel.csv"
    f.write_bytes("\ufeffid;question;answer\r\nq1;What is the annual fee?;64,500 EUR\r\nq2;Who is the CFO?;\r\n".encode())
    items = load_eval_file(f)
    assert [(i.id, i.question, i.answers) for i in items] == [
        ("q1", "What is the annual fee?", ["64,500 EUR"]), ("q2", "Who is the CFO?", [])]
