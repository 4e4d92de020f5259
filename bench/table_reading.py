"""Table reading: exact answers to questions about table rows, rows plain against rows with labels.

Two small tables (a six-row price list with size, price and stock; a four-row staff list with
role, office and phone) and 34 questions whose answer is one cell. Each table is given to the
reader as one context, its rows written the two ways loaders could write them: plain cells
(``Watering can | 10 l | 12.90 EUR | 35``) and cells named by their header
(``Item: Watering can | Size: 10 l | ...``, :func:`qa.ingest.loading.tables.label_table_rows`). Prints, per
reader, how many answers are exactly the cell, as JSON. Run from the repository root:

    python bench/table_reading.py fast base
"""

import json
import sys

from transformers.utils import logging as hf_logging

from qa.answer.reading import Reader
from qa.ingest.loading.tables import label_table_rows
from qa.ingest.loading.text import CELL_SEP

PRICES = [["Item", "Size", "Price", "Stock"], ["Rain barrel", "200 l", "89.00 EUR", "8"],
          ["Watering can", "10 l", "12.90 EUR", "35"], ["Garden hose", "25 m", "34.50 EUR", "120"],
          ["Screwdriver set", "12 pieces", "19.99 EUR", "15"], ["Wheelbarrow", "90 l", "64.00 EUR", "4"],
          ["Pruning shears", "20 cm", "22.40 EUR", "57"]]
STAFF = [["Name", "Role", "Office", "Phone"], ["Ann Lee", "Manager", "B-214", "4471"],
         ["Tom Berg", "Accountant", "C-101", "4480"], ["Maria Costa", "Engineer", "A-012", "4492"],
         ["Ivan Petrov", "Driver", "Yard", "4410"]]


def questions() -> list[tuple[str, str, int]]:
    """(question, answer cell, table number) for every row of both tables."""
    out = []
    for item, size, price, stock in PRICES[1:]:
        n = item.lower()
        out += [(f"How much does the {n} cost?", price, 0), (f"How many {n}s are in stock?", stock, 0),
                (f"What size is the {n}?", size, 0)]
    for name, role, office, phone in STAFF[1:]:
        out += [(f"What is {name}'s phone number?", phone, 1), (f"Which office is {name} in?", office, 1),
                (f"What is the role of {name}?", role, 1), (f"Who is the {role.lower()}?", name, 1)]
    return out


def contexts(labelled: bool) -> list[str]:
    """Both tables as text under their introducing sentence."""
    out = []
    for intro, table in (("Our price list for the spring season.", PRICES),
                         ("Staff directory of the Harbour Street depot.", STAFF)):
        rows = [CELL_SEP.join(r) for r in table]
        out.append("\n".join([intro, *(label_table_rows(rows) if labelled else rows)]))
    return out


def main(readers: list[str]) -> None:
    hf_logging.set_verbosity_error()
    qs = questions()
    report = {"questions": len(qs)}
    for name in readers:
        reader = Reader(name)
        for labelled in (False, True):
            ctx = contexts(labelled)
            found = reader.read_pairs([(q, ctx[t]) for q, _, t in qs])
            exact = sum(bool(f) and f[0].text.strip() == a for f, (_, a, _) in zip(found, qs))
            report[f"{name}/{'labelled' if labelled else 'plain'}"] = exact
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1:] or ["fast"])
