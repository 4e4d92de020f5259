"""Versions of one report (the same text as PDF and DOCX, an older draft with other figures) are
found as a family at indexing time; an answer they disagree on names the other version with its
file and date, and the version a person takes as current comes first."""

from __future__ import annotations

import os
import textwrap
from datetime import datetime

import pytest
from makedocs import docx_file, pdf_lines

from qa.store.families import currency, minhash, same_value, similarity

REPORT = [
    "Annual report 2023 of Halvorsen Logistics",
    "Halvorsen Logistics runs warehouses and freight routes across the Nordic countries and the Baltic states.",
    "In 2023 the revenue was {revenue}, and the operating margin reached {margin} after two difficult years.",
    "The company employed 412 people at the end of the year, most of them in Bergen, Gdansk and Tallinn.",
    "Its fleet of electric trucks grew to 58 vehicles, and the new cold store in Gdansk opened in September.",
    "The board proposes a dividend of {dividend} per share and plans to open a depot in Riga in 2025.",
    "Customer complaints fell by a third, while on-time deliveries rose to 96 percent of all shipments.",
    "The chief executive, Ingrid Solberg, thanked the staff for a year of steady growth and careful spending.",
]
FINAL = {"revenue": "48.2 million euros", "margin": "7.4 percent", "dividend": "1.10 euros"}
DRAFT = {"revenue": "45.9 million euros", "margin": "6.9 percent", "dividend": "1.10 euros"}
OTHER = [
    "Annual report 2023 of Brightwater Ferries",
    "Brightwater Ferries sails between the islands of the western coast with a fleet of nine ships.",
    "In 2023 the company carried 1.3 million passengers, and its revenue was 31.5 million euros.",
    "A new hybrid ferry, the Skarv, entered service in May and cut fuel use on the northern route by a fifth.",
]


def _noon(day: str) -> float:
    return datetime.fromisoformat(f"{day}T12:00:00").timestamp()


def _write(folder, name: str, lines: list[str], day: str) -> None:
    path = folder / name
    if name.endswith(".pdf"):
        pdf_lines(path, [[part for line in lines for part in textwrap.wrap(line, 85) + [""]]])
    else:
        docx_file(path, lines)
    os.utime(path, (_noon(day), _noon(day)))


def _report(figures: dict[str, str]) -> list[str]:
    return [line.format(**figures) for line in REPORT]


@pytest.fixture(scope="module")
def reports(tmp_path_factory, embedder):
    """An index of the final report (PDF and DOCX), an older draft and an unrelated report."""
    from qa.answer.reading import Reader
    from qa.pipeline import QA, build_index

    base = tmp_path_factory.mktemp("reports")
    docs = base / "docs"
    docs.mkdir()
    _write(docs, "halvorsen-report-final.pdf", _report(FINAL), "2024-03-01")
    _write(docs, "halvorsen-report-final.docx", _report(FINAL), "2024-03-01")
    _write(docs, "halvorsen-report-draft.docx", _report(DRAFT), "2024-01-10")
    _write(docs, "brightwater-report.docx", OTHER, "2024-02-15")
    build_index(base / "index", [docs], embedder=embedder)
    return QA(base / "index", Reader("fast"), embedder), docs


def _names(sources: list[str]) -> list[str]:
    return sorted(os.path.basename(s) for s in sources)


def test_versions_are_one_family_and_others_are_not(reports):
    from qa.store.index import PassageIndex

    qa, docs = reports
    index = PassageIndex.load(qa.index_dir)  # families are kept in the index
    final = str((docs / "halvorsen-report-final.pdf").resolve())
    assert _names(index.family_of(final)) == ["halvorsen-report-draft.docx", "halvorsen-report-final.docx",
                                              "halvorsen-report-final.pdf"]
    assert index.family_of(str((docs / "brightwater-report.docx").resolve())) == [
        str((docs / "brightwater-report.docx").resolve())]
    assert index.documents[final].modified == pytest.approx(_noon("2024-03-01"))


def test_the_final_figure_comes_first_and_the_draft_says_otherwise(reports, capsys):
    from qa.apps.cli import full_json, print_result, result_json
    from qa.apps.webapp import format_answer

    qa, _ = reports
    result = qa.ask("What was the revenue of Halvorsen Logistics?", max_answers=1)
    best = result.answers[0]
    assert best.text == "48.2 million euros" and "final" in os.path.basename(best.source)
    assert [(o.text, os.path.basename(o.source), o.date) for o in best.others if o.kind == "version"] == [
        ("45.9 million euros", "halvorsen-report-draft.docx", "2024-01-10")]
    print_result(full_json(result), len(qa), "hybrid")
    assert ("Another version says otherwise: 45.9 million euros — "
            in capsys.readouterr().out.replace(str(qa.index_dir.parent), ""))
    assert "Another version says otherwise: **45.9 million euros** — halvorsen-report-draft.docx, 2024-01-10" \
        in format_answer(result)
    assert result_json(result)["answers"][0]["others"][0]["modified"] == "2024-01-10"


def test_another_documents_differing_answer_is_shown_too(reports):
    qa, _ = reports
    best = qa.ask("What was the revenue?", max_answers=1).answers[0]
    assert best.text == "48.2 million euros"
    assert {(o.text, os.path.basename(o.source), o.kind) for o in best.others} == {
        ("45.9 million euros", "halvorsen-report-draft.docx", "version"),
        ("31.5 million euros", "brightwater-report.docx", "document")}


def test_figures_all_versions_share_give_one_answer_without_a_note(reports):
    qa, _ = reports
    result = qa.ask("How many people did Halvorsen Logistics employ?", max_answers=3)
    assert result.answers[0].text == "412" and not result.answers[0].others
    assert [a.text for a in result.answers].count("412") == 1


def test_the_family_follows_documents_removed_and_added(reports, embedder, tmp_path):
    import shutil

    from qa.pipeline import build_index
    from qa.store.index import PassageIndex

    qa, docs = reports
    index_dir = tmp_path / "index"
    shutil.copytree(qa.index_dir, index_dir)
    draft = str((docs / "halvorsen-report-draft.docx").resolve())
    build_index(index_dir, remove=[draft], embedder=embedder)
    final = str((docs / "halvorsen-report-final.pdf").resolve())
    assert _names(PassageIndex.load(index_dir).family_of(final)) == ["halvorsen-report-final.docx",
                                                                      "halvorsen-report-final.pdf"]
    build_index(index_dir, [docs / "halvorsen-report-final.pdf", docs / "halvorsen-report-final.docx"],
                remove=[str((docs / "halvorsen-report-final.docx").resolve())], embedder=embedder)
    assert PassageIndex.load(index_dir).family_of(final) == [final]


@pytest.mark.parametrize("newer,older", [
    (("report-final.docx", 1.0), ("report-draft.docx", 2.0)),  # the name says final: a later draft is a draft
    (("report_v2.docx", 1.0), ("report_v1.docx", 2.0)),
    (("plan_rev3.pdf", 1.0), ("plan_rev2.pdf", 1.0)),
    (("budget.docx", 2.0), ("budget copy.docx", 1.0)),
    (("minutes.docx", 2.0), ("minutes-2.docx", 1.0)),  # no sign in the names: the newer file
])
def test_which_version_is_current(newer, older):
    assert currency(*newer) > currency(*older)


def test_minhash_tells_versions_from_other_texts():
    final, draft = " ".join(_report(FINAL)), " ".join(_report(DRAFT))
    assert similarity(minhash(final), minhash(draft)) >= 0.6
    assert similarity(minhash(final), minhash(" ".join(OTHER))) < 0.2


@pytest.mark.parametrize("a,b,same", [
    ("48.2 million euros", "EUR 48.2 million", True),
    ("1998", "in 1998", True),
    ("48.2 million euros", "45.9 million euros", False),
    ("Ingrid Solberg", "Solberg", True),
    ("Bergen", "Tallinn", False),
])
def test_same_value(a, b, same):
    assert same_value(a, b) is same


def test_an_index_of_format_2_still_loads_and_answers(reports, tmp_path):
    import json
    import shutil

    from qa.pipeline import QA
    from qa.store.index import PassageIndex

    qa, docs = reports
    index_dir = tmp_path / "index"
    shutil.copytree(qa.index_dir, index_dir)
    manifest_path = index_dir / (index_dir / "CURRENT").read_text() / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = 2
    for d in manifest["documents"].values():
        for key in ("modified", "signature", "family"):
            del d[key]
    manifest_path.write_text(json.dumps(manifest))
    final = str((docs / "halvorsen-report-final.pdf").resolve())
    assert PassageIndex.load(index_dir).family_of(final) == [final]
    old = QA(index_dir, qa.reader, qa.embedder)
    best = old.ask("What was the revenue of Halvorsen Logistics?", max_answers=1).answers[0]
    assert best.modified is None and not [o for o in best.others if o.kind == "version"]


def test_a_file_saved_again_unchanged_gets_its_new_date(tmp_path, embedder):
    from qa.pipeline import build_index
    from qa.store.index import PassageIndex

    docs = tmp_path / "docs"
    docs.mkdir()
    _write(docs, "notes.docx", OTHER, "2024-01-10")
    build_index(tmp_path / "index", [docs], embedder=embedder)
    os.utime(docs / "notes.docx", (_noon("2024-05-02"), _noon("2024-05-02")))
    report = build_index(tmp_path / "index", [docs], embedder=embedder)
    source = str((docs / "notes.docx").resolve())
    assert report.unchanged == [source] and report.retimed == [source]
    assert PassageIndex.load(tmp_path / "index").documents[source].modified == pytest.approx(_noon("2024-05-02"))
