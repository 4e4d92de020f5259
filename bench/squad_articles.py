"""Write each article of a SQuAD file as one text file (title, then its paragraphs).

Used to build the open-mode benchmark index:

    python bench/squad_articles.py ../shared/qa-data/squad-v1.1/dev-v1.1-part-a.json reports/dev-a-articles
    qa index reports/dev-a-articles --index reports/dev-a-index
"""

import json
import re
import sys
from pathlib import Path


def main(squad_file: str, out_dir: str) -> None:
    data = json.loads(Path(squad_file).read_text(encoding="utf-8"))["data"]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for n, article in enumerate(data):
        title = article["title"].replace("_", " ")
        name = f"{n:02d}-{re.sub(r'[^A-Za-z0-9]+', '-', title).strip('-')[:60]}.txt"
        body = "\n\n".join(p["context"].strip() for p in article["paragraphs"])
        (out / name).write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    print(f"{len(data)} articles written to {out}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
