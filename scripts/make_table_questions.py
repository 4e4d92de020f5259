"""Synthetic table questions in SQuAD format, for teaching readers to read table rows.

Loaders turn tables into one line per row with cells joined by " | ", a row of a
table with a header naming each column ("Item: Rain barrel | Price: 89.00 EUR",
``qa.ingest.loading.tables.label_table_rows``). Readers trained on SQuAD prose pick cells
of the wrong row or column there. This writes contexts made like that: an introducing sentence
and a table (price lists, stock lists, opening hours of several branches,
contact and code lists), often two or three tables in one context, with
questions whose answer is one cell, found by its row and column, and (one in
six) unanswerable questions that ask for a column the table does not have ("What
does the garden hose weigh?" over a list of sizes, prices and stock), marked
``is_impossible`` as in SQuAD 2.0. Seeded, so the same command gives the same
file. Run from the repo root:

    python scripts/make_table_questions.py 3000 reports/table-questions.json [--seed N]
"""

import argparse
import json
import random

from qa.ingest.loading.tables import label_table_rows
from qa.ingest.loading.text import CELL_SEP

ITEMS = ["garden hose", "watering can", "rain barrel", "compost bin", "pruning saw", "leaf rake",
         "hedge trimmer", "seed tray", "plant pot", "wheelbarrow", "garden fork", "spade", "hose reel",
         "bird feeder", "lawn mower", "sprinkler", "kneeling pad", "tool shed", "potting bench", "trowel",
         "desk lamp", "office chair", "filing cabinet", "notebook", "stapler", "monitor stand",
         "paper shredder", "whiteboard", "bookcase", "coat rack", "kettle", "toaster", "blender"]
UNITS = ["l", "m", "cm", "kg", "g"]
CURRENCIES = ["EUR", "USD", "GBP", "CHF"]
BRANCHES = ["Harbour Street", "Mill Lane", "Station Road", "Market Square", "Castle Hill", "Riverside",
            "Kings Road", "Abbey Gate", "North Quay", "Elm Park"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
PEOPLE = ["Ann Lee", "Tom Reyes", "Mara Quill", "Omar Haddad", "Dana Whitfield", "Lena Voss",
          "Ravi Patel", "Jonas Berg", "Ines Duarte", "Kofi Mensah", "Sara Lind", "Paul Okafor"]
SITES = ["depot", "warehouse", "workshop", "office", "store", "yard"]


def _price(rng: random.Random) -> str:
    return f"{rng.randint(2, 400)}.{rng.choice(['00', '50', '90', '95', '99', '20'])} {rng.choice(CURRENCIES)}"


def _hours(rng: random.Random) -> str:
    start = rng.randint(6, 11)
    return f"{start:02d}:{rng.choice(['00', '30'])} to {rng.randint(start + 3, 21):02d}:00"


def price_list(rng: random.Random) -> tuple[list[str], list[tuple[str, str, int]]]:
    """A price list's lines and (question, answer, line number) triples about it."""
    items = rng.sample(ITEMS, rng.randint(3, 6))
    rows = [[it.capitalize(), f"{rng.randint(1, 300)} {rng.choice(UNITS)}", _price(rng), str(rng.randint(0, 500))]
            for it in items]
    intro = rng.choice(["Our price list for the season.", "Prices and stock as of this week.",
                        "The current catalogue lists these items."])
    lines = [intro, "Item | Size | Price | Stock"] + [" | ".join(r) for r in rows]
    qa = []
    for n, (it, row) in enumerate(zip(items, rows, strict=True), start=2):
        qa.append((rng.choice([f"How much does the {it} cost?", f"What is the price of the {it}?",
                               f"What does a {it} cost?"]), row[2], n))
        qa.append((rng.choice([f"How many {it}s are in stock?", f"What is the stock of the {it}?"]), row[3], n))
        qa.append((rng.choice([f"What size is the {it}?", f"How big is the {it}?"]), row[1], n))
    return lines, qa


def opening_hours(rng: random.Random) -> tuple[list[str], list[tuple[str, str, int]]]:
    """Two or three branches' opening-hours tables, each under its own sentence."""
    parts, qa = [], []
    for branch in rng.sample(BRANCHES, rng.randint(2, 3)):
        days = rng.sample(DAYS, rng.randint(2, 4))
        hours = {d: _hours(rng) for d in days}
        parts.append(rng.choice([f"The {branch} branch keeps the following hours.",
                                 f"Opening hours of the {branch} branch:", f"The {branch} branch is open:"]))
        parts.append("Day | Hours")
        for d in days:
            parts.append(f"{d} | {hours[d]}")
            qa.append((rng.choice([f"What are the {d} hours of the {branch} branch?",
                                   f"When is the {branch} branch open on {d}?",
                                   f"What are the opening hours of the {branch} branch on {d}?"]),
                       hours[d], len(parts) - 1))
    return parts, qa


def contacts(rng: random.Random) -> tuple[list[str], list[tuple[str, str, int]]]:
    """Sites with their manager, access code and phone extension."""
    branches = rng.sample(BRANCHES, rng.randint(2, 4))
    site = rng.choice(SITES)
    rows = [[b, rng.choice(PEOPLE), str(rng.randint(1000, 9999)), str(rng.randint(100, 999))] for b in branches]
    lines = [f"Each {site} has a manager and an access code.", "Site | Manager | Access code | Extension"]
    lines += [" | ".join(r) for r in rows]
    qa = []
    for n, (b, manager, code, ext) in enumerate(rows, start=2):
        qa.append((rng.choice([f"Who manages the {b} {site}?", f"Who is the manager of the {b} {site}?"]),
                   manager, n))
        qa.append((rng.choice([f"What is the access code of the {b} {site}?",
                               f"What is the {b} {site}'s access code?"]), code, n))
        qa.append((f"What is the phone extension of the {b} {site}?", ext, n))
    return lines, qa


MAKERS = (price_list, opening_hours, contacts)

# Questions about a thing a table lists, asking for what no column gives: (template, makers it suits)
MISSING = [("What does the {thing} weigh?", price_list), ("What colour is the {thing}?", price_list),
           ("Who supplies the {thing}?", price_list), ("When was the {thing} last delivered?", price_list),
           ("What is the email address of the {thing}?", contacts),
           ("How many people work at the {thing}?", contacts), ("When did the {thing} open?", contacts),
           ("What is the phone number of the {thing}?", opening_hours),
           ("Who manages the {thing}?", opening_hours)]
UNANSWERABLE_SHARE = 1 / 6


def _as_loaded(lines: list[str], qa: list[tuple[str, str, int]]) -> tuple[list[str], list[tuple[str, str, int]]]:
    """A block's lines as the loaders write them (header rows turned into labels), its line numbers
    moved to match."""
    moved = [len(label_table_rows(lines[: n + 1])) - 1 for n in range(len(lines))]
    return label_table_rows(lines), [(q, a, moved[n]) for q, a, n in qa]


def _missing(rng: random.Random, maker, block: list[str], row: str) -> str:
    """An unanswerable question about what a row is about: an item, a site or a branch."""
    value = row.split(CELL_SEP)[0].split(": ", 1)[-1]
    if maker is price_list:
        thing = value.lower()
    elif maker is contacts:
        thing = f"{value} {block[0].split()[1]}"  # "Each depot has ..." -> "Harbour Street depot"
    else:
        thing = next(f"{b} branch" for b in BRANCHES if f"{b} branch" in block[0])
    return rng.choice([t for t, m in MISSING if m is maker]).format(thing=thing)


def _cell_offset(row: str, answer: str) -> int:
    """Where ``answer`` starts in ``row``: in its own cell (after a "Name: " label), not a
    lookalike elsewhere."""
    offset = 0
    for cell in row.split(CELL_SEP):
        value = cell.split(": ", 1)[1] if ": " in cell and not cell.startswith(answer) else cell
        if value == answer:
            return offset + len(cell) - len(value)
        offset += len(cell) + len(CELL_SEP)
    raise ValueError(f"{answer!r} is not a cell of {row!r}")


def make(n_questions: int, seed: int = 0) -> dict:
    """A SQuAD-format object with about ``n_questions`` table questions."""
    rng = random.Random(seed)
    prefix = f"s{seed}-" if seed else ""  # files of different seeds can be combined; seed 0 keeps its old ids
    paragraphs, count = [], 0
    while count < n_questions:
        makers = [rng.choice(MAKERS) for _ in range(rng.choice([1, 1, 2]))]
        blocks = [_as_loaded(*maker(rng)) for maker in makers]
        lines = [line for block, _ in blocks for line in block]
        starts = [sum(len(x) + 1 for x in lines[:i]) for i in range(len(lines))]
        context, qas, first = "\n".join(lines), [], 0
        for (block, triples), maker in zip(blocks, makers, strict=True):
            for question, answer, n in rng.sample(triples, min(len(triples), 4)):
                if rng.random() < UNANSWERABLE_SHARE:
                    qas.append({"id": f"table-{prefix}{count}", "question": _missing(rng, maker, block, lines[first + n]),
                                "answers": [], "is_impossible": True})
                else:
                    start = starts[first + n] + _cell_offset(lines[first + n], answer)
                    qas.append({"id": f"table-{prefix}{count}", "question": question,
                                "answers": [{"text": answer, "answer_start": start}]})
                count += 1
            first += len(block)
        paragraphs.append({"context": context, "qas": qas})
    return {"version": "1.1", "data": [{"title": "Synthetic tables", "paragraphs": paragraphs}]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="about this many questions")
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out = make(args.n, args.seed)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f)
    print(f"{sum(len(p['qas']) for p in out['data'][0]['paragraphs'])} questions written to {args.out}")


if __name__ == "__main__":
    main()
