import pytest

from qa.answer.retrieval import Retriever, rrf
from qa.store.index import PassageIndex


def test_rrf_hand_computed():
    fused = rrf([[(1, 0.9), (2, 0.5)], [(2, 7.0), (3, 1.0)]], k=60)
    assert fused[2] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[1] == pytest.approx(1 / 61)
    assert fused[3] == pytest.approx(1 / 62)


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_modes_find_the_boat_strike_passage(seed_index, embedder, mode):
    r = Retriever(PassageIndex.load(seed_index), embedder, mode)
    hits = r.retrieve("How many boat strikes since August?", top_k=2)
    assert hits and "35 known boat strikes" in hits[0].passage.text
    assert hits[0].score >= hits[-1].score


def test_bad_mode(seed_index, embedder):
    with pytest.raises(ValueError):
        Retriever(PassageIndex.load(seed_index), embedder, "magic")
