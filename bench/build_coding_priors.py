"""Mine ICD-10-CM code frequency priors from the CodiEsp training split.

Writes resources/nlp/coding_priors.tsv (code<TAB>documents-with-code<TAB>documents), which
the ICD coder uses as a prior: codes doctors assign often rank above rare look-alikes.
Source: CodiEsp corpus, CLEF eHealth 2020 (CC BY 4.0), train split only (dev stays held
out for bench/eval_icd_coding.py). Run: .venv/bin/python bench/build_coding_priors.py
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import simple_icd_10_cm as icd

REPO = Path(__file__).resolve().parents[1]
TRAIN = REPO.parent / "shared" / "data" / "codiesp" / "train" / "trainD.tsv"
OUT = REPO / "resources" / "nlp" / "coding_priors.tsv"


def main() -> None:
    docs_by_code: Counter[str] = Counter()
    docs = set()
    with TRAIN.open(encoding="utf-8", newline="") as fh:
        pairs = {(row[0], row[1].strip().upper()) for row in csv.reader(fh, delimiter="\t")}
    for doc, code in pairs:
        docs.add(doc)
        dotted = code if "." in code or len(code) <= 3 else icd.add_dot(code)
        if icd.is_valid_item(dotted):
            docs_by_code[dotted] += 1
    with OUT.open("w", encoding="utf-8") as fh:
        fh.write("# Document frequency of ICD-10-CM diagnosis codes in the CodiEsp train split "
                 "(CLEF eHealth 2020, CC BY 4.0). code<TAB>documents<TAB>total documents\n")
        for code, n in sorted(docs_by_code.items(), key=lambda kv: (-kv[1], kv[0])):
            fh.write(f"{code}\t{n}\t{len(docs)}\n")
    print(f"{len(docs_by_code)} codes from {len(docs)} documents -> {OUT}")


if __name__ == "__main__":
    main()
