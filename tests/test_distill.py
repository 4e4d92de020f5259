"""Distillation: a teacher's character-level distributions become soft targets on the student's tokens."""

import json

import numpy as np
import pytest

from qa.answer.reading import CharDistribution
from qa.eval.squad import SquadExample
from qa.train.distill import compute_targets, load_targets, window_targets
from qa.train.training import collate, encode_examples, main, span_loss


def test_window_targets_sum_teacher_mass_onto_student_tokens():
    # student tokens: [CLS] q [SEP] "The" "cat" "sat" [SEP]
    offsets = [(0, 0), (0, 3), (0, 0), (0, 3), (4, 7), (8, 11), (0, 0)]
    seq = [None, 0, None, 1, 1, 1, None]
    d = CharDistribution(start={4: 0.6, 8: 0.2, 40: 0.1}, end={7: 0.5, 11: 0.3, 45: 0.1}, null_start=0.1,
                         null_end=0.1)
    start, end = window_targets(d, offsets, seq)
    assert start.sum() == pytest.approx(1) and end.sum() == pytest.approx(1)
    assert start[4] == pytest.approx(0.6) and start[5] == pytest.approx(0.2)
    assert start[0] == pytest.approx(0.2)  # no-answer + the mass outside this window
    assert end[4] == pytest.approx(0.5) and end[5] == pytest.approx(0.3) and end[1] == 0  # question tokens get none
    soft, _ = window_targets(d, offsets, seq, temperature=2.0)
    assert soft[4] < 0.6 and soft[5] > 0.2  # softened


@pytest.fixture(scope="module")
def teacher_targets(tmp_path_factory, reader):
    ctx = "Ignacio Ramonet interviewed Maduro in Caracas in 2019."
    examples = [SquadExample("a", "Who interviewed Maduro?", ctx, ["Ignacio Ramonet"], [0]),
                SquadExample("b", "Where was the interview?", ctx, ["Caracas"], [ctx.index("Caracas")])]
    out = tmp_path_factory.mktemp("distill") / "targets.jsonl"
    assert compute_targets(reader, examples, out) == 2
    assert compute_targets(reader, examples, out) == 0  # resumes: nothing left to do
    return examples, out


def test_teacher_targets_peak_at_the_teacher_s_answer(teacher_targets):
    examples, out = teacher_targets
    targets = load_targets(out)
    ctx = examples[1].context
    best_start = max(targets["b"].start, key=targets["b"].start.get)
    best_end = max(targets["b"].end, key=targets["b"].end.get)
    assert ctx[best_start:best_end] == "Caracas"


def test_distilled_batches_train(tokenizer, teacher_targets, tmp_path):
    examples, out = teacher_targets
    feats = encode_examples(tokenizer, examples, 64, 16, load_targets(out), temperature=2.0)
    assert all(f.soft is not None for f in feats)
    batch = collate(feats, tokenizer.pad_token_id)
    assert np.allclose(batch["soft_start"].sum(-1).numpy(), 1, atol=1e-3)
    from qa.answer.reading import packaged_reader_dir
    from qa.modeling.hf import load_qa_model

    model = load_qa_model(str(packaged_reader_dir()), trainable=True)
    loss = span_loss(model, batch, weight=0.5, temperature=2.0)
    loss.backward()
    assert loss.item() > 0 and next(p.grad for p in model.parameters() if p.requires_grad) is not None

    train = tmp_path / "train.json"
    train.write_text(json.dumps({"data": [{"title": "T", "paragraphs": [{"context": examples[0].context, "qas": [
        {"id": e.id, "question": e.question, "answers": [{"text": e.answers[0], "answer_start": e.answer_starts[0]}]}
        for e in examples]}]}]}))
    main([str(train), "--out", str(tmp_path / "student"), "--batch-size", "2", "--max-steps", "1",
          "--neg-ratio", "0", "--teacher", str(out)])
    assert (tmp_path / "student" / "model.safetensors").exists()


def test_a_missing_targets_file_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="distill-targets"):
        main([str(tmp_path / "t.json"), "--out", str(tmp_path / "o"), "--teacher", str(tmp_path / "none.jsonl")])


def test_bad_teacher_files_and_settings_are_clear_errors(tmp_path, teacher_targets):
    _, out = teacher_targets
    train = tmp_path / "train.json"
    train.write_text(json.dumps({"data": [{"title": "T", "paragraphs": [{"context": "Owls hunt at night.", "qas": [
        {"id": "zz", "question": "When do owls hunt?", "answers": [{"text": "at night", "answer_start": 10}]}]}]}]}))
    not_targets = tmp_path / "q.jsonl"
    not_targets.write_text('{"id": "a", "question": "x"}\n')
    with pytest.raises(ValueError, match=r"q\.jsonl, line 1: not a teacher target"):
        main([str(train), "--out", str(tmp_path / "o1"), "--teacher", str(not_targets)])
    with pytest.raises(ValueError, match="no example of this run has a target"):
        main([str(train), "--out", str(tmp_path / "o2"), "--teacher", str(out), "--neg-ratio", "0"])
    with pytest.raises(ValueError, match="only apply with --teacher"):
        main([str(train), "--out", str(tmp_path / "o3"), "--distill-weight", "0.3"])


def test_targets_of_another_teacher_are_not_mixed_in(teacher_targets, reader, monkeypatch):
    examples, out = teacher_targets
    monkeypatch.setattr(reader, "name", "someone-else")
    with pytest.raises(ValueError, match="holds targets of teacher"):
        compute_targets(reader, examples, out)
