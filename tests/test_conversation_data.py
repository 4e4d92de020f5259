"""The follow-up benchmark's conversations are well formed and their answers are in the documents."""

import json

import pytest
from conftest import ROOT, SEED

CONVERSATIONS = ROOT / "bench" / "data" / "conversations.jsonl"
SQUAD_DEV = ROOT.parent / "shared" / "qa-data" / "squad-v1.1" / "dev-v1.1-part-a.json"


def test_conversations_are_well_formed_and_answers_occur_in_their_documents():
    if not SQUAD_DEV.exists():
        pytest.skip("SQuAD dev part A is not beside the repository")
    contexts = {a["title"]: " ".join(p["context"] for p in a["paragraphs"])
                for a in json.loads(SQUAD_DEV.read_text(encoding="utf-8"))["data"]}
    seed = SEED.read_text(encoding="utf-8")
    convs = [json.loads(line) for line in CONVERSATIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(convs) >= 30 and len({c["id"] for c in convs}) == len(convs)
    for conv in convs:
        text = contexts[conv["title"]] if "title" in conv else seed
        turns = conv["turns"]
        assert 2 <= len(turns) <= 3 and "full" not in turns[0]
        assert all(t.get("full") and t["full"] != t["question"] for t in turns[1:])
        assert all(a in text for t in turns for a in t["answers"]), conv["id"]
