import json

import numpy as np
import torch

from qa.answer.reading import best_spans
from qa.eval.squad import SquadExample
from qa.train.training import (
    collate,
    encode_examples,
    length_grouped_batches,
    main,
    make_negatives,
    span_to_tokens,
)


def _decode(tokenizer, feature):
    return tokenizer.decode(feature.input_ids[feature.start: feature.end + 1])


def test_answer_span_maps_to_tokens(tokenizer):
    ctx = "The Trump administration has conducted 35 known boat strikes since August."
    ex = SquadExample("1", "How many boat strikes?", ctx, ["35 known boat strikes"], [ctx.index("35")])
    (f,) = encode_examples(tokenizer, [ex], max_length=64, stride=16)
    assert _decode(tokenizer, f) == "35 known boat strikes"


def test_answer_across_stride_and_window_edges(tokenizer):
    words = [f"w{i}" for i in range(300)]
    ctx = " ".join(words)
    answer = "w150 w151 w152"
    ex = SquadExample("1", "Which words?", ctx, [answer], [ctx.index(answer)])
    feats = encode_examples(tokenizer, [ex], max_length=128, stride=48)
    assert len(feats) > 2
    found = [f for f in feats if f.start]
    # the answer lies wholly inside some windows, and those decode to it exactly
    assert found and all(_decode(tokenizer, f).replace(" ", "") == answer.replace(" ", "") for f in found)
    # windows that cut the answer or miss it point at [CLS]
    assert any(f.start == f.end == 0 for f in feats)


def test_span_to_tokens_edges():
    offsets = [(0, 0), (0, 3), (4, 8), (9, 12), (0, 0)]
    seq = [None, 1, 1, 1, None]
    assert span_to_tokens(offsets, seq, 0, 3) == (1, 1)      # first context token
    assert span_to_tokens(offsets, seq, 9, 12) == (3, 3)     # last context token (window edge)
    assert span_to_tokens(offsets, seq, 4, 12) == (2, 3)
    assert span_to_tokens(offsets, seq, 9, 20) == (0, 0)     # cut off by truncation -> null
    assert span_to_tokens(offsets, [None, 0, 0, 0, None], 0, 3) == (0, 0)


def test_negatives_come_from_same_article_and_never_hold_the_answer():
    exs = [SquadExample(f"q{i}", "Q?", f"para {i} holds ans{i}.", [f"ans{i}"], [12], "T", 0, i)
           for i in range(4)]
    exs.append(SquadExample("q4", "Q?", "para 4 holds ans0 too.", ["ans0"], [12], "T", 0, 4))
    exs.append(SquadExample("z", "Q?", "other article", ["other"], [0], "U", 1, 0))
    negs = make_negatives(exs, 1.0, seed=1)
    assert negs == make_negatives(exs, 1.0, seed=1)
    for n in negs:
        orig = next(e for e in exs if e.id == n.id.removesuffix("-neg"))
        assert n.article == orig.article and n.paragraph != orig.paragraph
        assert not n.answers and orig.answers[0] not in n.context
    assert not any(n.id == "z-neg" for n in negs)  # its article has no other paragraph


def test_length_grouped_batches_cover_everything_once():
    lengths = list(np.random.default_rng(0).integers(10, 300, 1000))
    batches = length_grouped_batches(lengths, 16, seed=3, group=4)
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(1000))
    assert batches == length_grouped_batches(lengths, 16, seed=3, group=4)
    spread = np.mean([max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches])
    assert spread < 100  # sorted inside groups; unsorted batches spread ~250


def test_collate_pads(tokenizer):
    ex = [SquadExample("1", "Q?", "short one.", ["short"], [0]),
          SquadExample("2", "Q?", "a somewhat longer context here.", [], [])]
    batch = collate(encode_examples(tokenizer, ex), tokenizer.pad_token_id)
    assert batch["input_ids"].shape == batch["attention_mask"].shape
    assert batch["attention_mask"][0].sum() < batch["attention_mask"][1].sum()
    assert batch["start_positions"].tolist()[1] == 0


def test_best_spans_rules():
    n = 8
    mask = np.array([False, False, False, True, True, True, True, False])  # CLS, question x2, ctx x4, SEP
    start = np.full(n, 0.01)
    end = np.full(n, 0.01)
    start[1], end[1] = 0.9, 0.9          # inside the question: never chosen
    start[5], end[4] = 0.5, 0.5          # end before start: invalid
    start[3], end[6] = 0.3, 0.3
    spans = best_spans(start, end, mask, max_answer_tokens=30)
    assert all(mask[s] and mask[e] and s <= e for s, e, _ in spans)
    assert spans[0][:2] in [(3, 6), (5, 6), (3, 4)]
    assert (5, 4) not in [(s, e) for s, e, _ in spans]
    short = best_spans(start, end, mask, max_answer_tokens=2)
    assert all(e - s < 2 for s, e, _ in short)


def test_training_smoke_run(tmp_path):
    data = {"data": [{"title": "T", "paragraphs": [
        {"context": "Chevron exports crude. The strikes numbered 35.", "qas": [
            {"id": "a", "question": "How many strikes?", "answers": [{"text": "35", "answer_start": 44}]}]},
        {"context": "Ignacio Ramonet interviewed Maduro.", "qas": [
            {"id": "b", "question": "Who interviewed Maduro?",
             "answers": [{"text": "Ignacio Ramonet", "answer_start": 0}]}]}]}]}
    train = tmp_path / "train.json"
    train.write_text(json.dumps(data))
    out = tmp_path / "model"
    main([str(train), "--out", str(out), "--batch-size", "2", "--max-steps", "2",
          "--checkpoint-every", "1", "--neg-ratio", "1.0"])
    assert (out / "model.safetensors").exists() and (out / "checkpoint.pt").exists()
    assert json.loads((out / "training_args.json").read_text())["steps"] == 2
    from transformers import AutoModelForQuestionAnswering

    model = AutoModelForQuestionAnswering.from_pretrained(out)
    assert next(model.parameters()).dtype == torch.float16
    # resuming a finished run does no more steps and keeps the files
    main([str(train), "--out", str(out), "--batch-size", "2", "--max-steps", "2", "--resume"])
    assert len((out / "train_log.jsonl").read_text().splitlines()) == 2


def _tiny_squad(tmp_path):
    paragraphs = [
        {"context": f"Report {i}: the strikes numbered {30 + i}. Chevron exports crude.", "qas": [
            {"id": str(i), "question": f"How many strikes in report {i}?",
             "answers": [{"text": str(30 + i), "answer_start": 31}]}]}
        for i in range(6)]
    train = tmp_path / "train.json"
    train.write_text(json.dumps({"data": [{"title": "T", "paragraphs": paragraphs}]}))
    return train


def _weights(folder):
    from safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))


def test_interrupted_run_resumes_to_the_same_weights(tmp_path, monkeypatch):
    import qa.train.training

    train = _tiny_squad(tmp_path)
    args = ["--batch-size", "2", "--max-steps", "4", "--checkpoint-every", "1", "--neg-ratio", "0.5"]
    main([str(train), "--out", str(tmp_path / "straight"), *args])

    saves = {"n": 0}
    real_save = qa.train.training._save_checkpoint

    def save_then_die(path, state):
        real_save(path, state)
        saves["n"] += 1
        if saves["n"] == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(qa.train.training, "_save_checkpoint", save_then_die)
    try:
        main([str(train), "--out", str(tmp_path / "stopped"), *args])
    except KeyboardInterrupt:
        pass
    assert not (tmp_path / "stopped" / "model.safetensors").exists()
    monkeypatch.setattr(qa.train.training, "_save_checkpoint", real_save)
    main([str(train), "--out", str(tmp_path / "stopped"), *args, "--resume"])

    straight, resumed = _weights(tmp_path / "straight"), _weights(tmp_path / "stopped")
    assert straight.keys() == resumed.keys()
    assert all(torch.equal(straight[k], resumed[k]) for k in straight)


def test_continued_training_from_a_shipped_fp16_reader_keeps_fp32_weights(tmp_path):
    train = _tiny_squad(tmp_path)
    first, second = tmp_path / "first", tmp_path / "second"
    main([str(train), "--out", str(first), "--batch-size", "2", "--max-steps", "1"])
    assert next(iter(_weights(first).values())).dtype == torch.float16
    main([str(train), "--out", str(second), "--base", str(first), "--batch-size", "2",
          "--max-steps", "1", "--checkpoint-every", "1"])
    state = torch.load(second / "checkpoint.pt", weights_only=False)["model"]
    assert all(t.dtype == torch.float32 for t in state.values())


def test_freeze_embeddings_keeps_word_embeddings_and_trains_the_rest(tmp_path):
    from transformers import AutoModelForQuestionAnswering

    from qa.store.embedding import default_embedding_model

    train, out = _tiny_squad(tmp_path), tmp_path / "frozen"
    main([str(train), "--out", str(out), "--batch-size", "2", "--max-steps", "2",
          "--checkpoint-every", "1", "--freeze-embeddings"])
    base = AutoModelForQuestionAnswering.from_pretrained(default_embedding_model()).state_dict()
    trained = torch.load(out / "checkpoint.pt", weights_only=False)["model"]
    name = "bert.embeddings.word_embeddings.weight"
    assert name not in trained  # checkpoints hold what training changes
    assert torch.equal(_weights(out)[name], base[name].half())
    assert not torch.equal(trained["bert.encoder.layer.0.attention.self.query.weight"],
                           base["bert.encoder.layer.0.attention.self.query.weight"])


def test_lora_run_ships_a_small_adapter_that_reads(tmp_path):
    from qa.answer.reading import Reader
    from qa.train.training import export_checkpoint

    train, out = _tiny_squad(tmp_path), tmp_path / "lora"
    main([str(train), "--out", str(out), "--batch-size", "2", "--max-steps", "2", "--lora", "4",
          "--checkpoint-every", "1", "--question-noise", "0.5"])
    adapter = json.loads((out / "adapter_config.json").read_text())
    assert adapter["r"] == 4 and "qa_outputs" in adapter["modules_to_save"]
    assert not (out / "model.safetensors").exists()
    assert (out / "adapter_model.safetensors").stat().st_size < 2_000_000
    state = torch.load(out / "checkpoint.pt", weights_only=False)["model"]
    assert state and all("lora_" in k or "qa_outputs" in k for k in state)
    spans = Reader(str(out)).read_pairs([("How many boat strikes?", "There were 35 boat strikes.")])
    assert spans[0] and spans[0][0].text
    exported = export_checkpoint(out / "checkpoint.pt", tmp_path / "exported")
    assert (exported / "adapter_config.json").exists()


def test_question_variants():
    import random

    from qa.train.training import swap_letters, vary_question

    rng = random.Random(0)
    assert vary_question("When was Solvia founded?", rng, 0.0) == "When was Solvia founded?"
    assert vary_question("When was Solvia founded?", rng, 1.0).startswith("when was")
    typo = swap_letters("When was Solvia founded", random.Random(1))
    assert typo != "When was Solvia founded" and sorted(typo) == sorted("When was Solvia founded")


def test_fit_schedule_cuts_the_run_and_decays_to_zero_at_the_new_end():
    import argparse

    from transformers import get_linear_schedule_with_warmup

    from qa.train.training import fit_schedule

    optim = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = get_linear_schedule_with_warmup(optim, 6, 100)
    for _ in range(40):
        optim.step()
        sched.step()
    args = argparse.Namespace(warmup=0.06)
    assert fit_schedule(optim, args, 100, 40, seconds_per_step=0.1, seconds_left=60) == (100, None)
    total, sched = fit_schedule(optim, args, 100, 40, seconds_per_step=1.0, seconds_left=20)
    assert total == 60
    assert abs(optim.param_groups[0]["lr"] - 20 / 57) < 1e-6  # (60 - 40) / (60 - warm-up 3)
    for _ in range(20):
        optim.step()
        sched.step()
    assert optim.param_groups[0]["lr"] == 0.0


def test_pick_device_refuses_a_missing_gpu_and_unknown_names():
    import pytest

    from qa.train.training import pick_device

    assert pick_device("cpu").type == "cpu"
    assert pick_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="device quantum"):
        pick_device("quantum")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no GPU"):
            pick_device("cuda")


def test_training_and_reading_modules_load_without_the_index_stack():
    import subprocess
    import sys

    code = ("import sys, qa.train.training, qa.answer.reading; "
            "print(sorted(m for m in ('faiss', 'bm25s', 'gradio') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _script(name: str):
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(name, Path(__file__).parent.parent / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_synthetic_table_questions_read_like_loaded_tables():
    data = _script("make_table_questions").make(300, seed=1)
    paragraphs = data["data"][0]["paragraphs"]
    contexts = "\n".join(p["context"] for p in paragraphs)
    assert "Item: " in contexts and "| Price: " in contexts  # wide tables come labelled, as loaders write them
    assert "Item | Size | Price | Stock" not in contexts
    questions = [q for p in paragraphs for q in p["qas"]]
    unanswerable = [q for q in questions if q.get("is_impossible")]
    assert 0.1 < len(unanswerable) / len(questions) < 0.25 and all(not q["answers"] for q in unanswerable)
    assert any(q["question"].startswith("What does the ") and q["question"].endswith(" weigh?") for q in unanswerable)
    for p in paragraphs:
        for q in p["qas"]:
            for a in q["answers"]:
                assert p["context"][a["answer_start"]:a["answer_start"] + len(a["text"])] == a["text"]


def test_squad2_split_keeps_calibration_and_measurement_articles_out_of_training(tmp_path):
    def article(title: str) -> dict:
        qas = [{"id": f"{title}-a", "question": "q?", "answers": [{"text": "x", "answer_start": 0}]},
               {"id": f"{title}-u", "question": "q?", "answers": [], "is_impossible": True}]
        return {"title": title, "paragraphs": [{"context": "x y", "qas": qas}]}

    titles = [f"T{k}" for k in range(8)]
    (tmp_path / "v2.json").write_text(json.dumps({"version": "v2.0", "data": [article(t) for t in titles]}))
    (tmp_path / "v1.json").write_text(json.dumps({"version": "1.1", "data": [article(t) for t in titles + ["X"]]}))
    _script("split_squad2").main(str(tmp_path / "v2.json"), str(tmp_path / "out"), str(tmp_path / "v1.json"))

    def read(name: str) -> list[str]:
        return [a["title"] for a in json.loads((tmp_path / "out" / f"{name}.json").read_text())["data"]]

    assert read("kept-half") == ["T1", "T3", "T5", "T7"]
    assert read("abstain-train") == ["T0", "T4"] and read("abstain-calibration") == ["T2", "T6"]
    assert read("dev-a-unseen") == ["T1", "T2", "T3", "T5", "T6", "T7", "X"]
    assert read("kept-calibration") == ["T1", "T5"] and read("kept-measure") == ["T3", "T7"]
    assert read("dev-a-unseen-half") == ["T1", "T3", "T5", "T7", "X"]
    trained = json.loads((tmp_path / "out" / "abstain-train.json").read_text())["data"][0]["paragraphs"][0]["qas"]
    assert {q["id"] for q in trained} == {"T0-a", "T0-u"}  # answerable and unanswerable questions both


def test_sentence_contexts_keep_the_answer_and_give_unanswerable_questions_their_likeliest_sentence(tmp_path):
    context = ("The ferry left Dover at noon. It carried 41,000 passengers in 2023. "
               "The lighthouse on the pier was painted red.")
    qas = [{"id": "a", "question": "How many passengers did the ferry carry?",
            "answers": [{"text": "41,000", "answer_start": context.index("41,000")}]},
           {"id": "u", "question": "What colour was the ferry painted?", "answers": [], "is_impossible": True}]
    (tmp_path / "in.json").write_text(json.dumps({"version": "v2.0", "data": [
        {"title": "T", "paragraphs": [{"context": context, "qas": qas}]}]}))
    _script("add_sentence_contexts").main(str(tmp_path / "in.json"), str(tmp_path / "out.json"))
    paragraphs = json.loads((tmp_path / "out.json").read_text())["data"][0]["paragraphs"]
    assert paragraphs[0]["context"] == context and len(paragraphs) == 3  # the original stays
    short = {p["qas"][0]["id"]: p for p in paragraphs[1:]}
    answerable = short["a-sentence"]
    assert answerable["context"] == "It carried 41,000 passengers in 2023."
    a = answerable["qas"][0]["answers"][0]
    assert answerable["context"][a["answer_start"]:a["answer_start"] + len(a["text"])] == "41,000"
    unanswerable = short["u-sentence"]
    assert unanswerable["context"] == "The lighthouse on the pier was painted red."  # shares "painted"
    assert unanswerable["qas"][0]["answers"] == [] and unanswerable["qas"][0]["is_impossible"]


def test_distractor_sentences_and_paragraphs_without_the_answer_never_hold_it(tmp_path):
    context = ("The ferry left Dover at noon. It carried 41,000 passengers in 2023. "
               "The ferry passengers were counted at Dover by the port.")
    qas = [{"id": "a", "question": "How many passengers did the ferry carry from Dover?",
            "answers": [{"text": "41,000", "answer_start": context.index("41,000")}]}]
    (tmp_path / "in.json").write_text(json.dumps({"version": "v2.0", "data": [
        {"title": "T", "paragraphs": [{"context": context, "qas": qas}]}]}))
    _script("add_sentence_contexts").main(str(tmp_path / "in.json"), str(tmp_path / "out.json"),
                                          distractors=True, without_answer=True)
    paragraphs = json.loads((tmp_path / "out.json").read_text())["data"][0]["paragraphs"]
    short = {p["qas"][0]["id"]: p for p in paragraphs[1:]}
    assert set(short) == {"a-sentence", "a-distractor", "a-removed"}
    removed = short["a-removed"]
    assert removed["context"] == "The ferry left Dover at noon. The ferry passengers were counted at Dover by the port."
    assert removed["qas"][0]["answers"] == [] and removed["qas"][0]["is_impossible"]
    distractor = short["a-distractor"]
    assert distractor["context"] == "The ferry passengers were counted at Dover by the port."  # most shared words
    assert distractor["qas"][0]["answers"] == [] and distractor["qas"][0]["is_impossible"]
