"""Negation detection on the NegEx test kit (../shared/data/negex/negex_dev.tsv).

Each sentence comes with its condition; the condition is given to ClinicDesk's ConText
rules as the target and we score the "Negated" class (precision, recall, F1).
Published anchor: NegEx (Chapman et al. 2001) sensitivity 77.8 %, PPV 84.5 %.
Run: .venv/bin/python bench/eval_negation.py
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import desktop  # noqa: E402,F401
from desktop.core.analysis.notes.pipeline import assert_span  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "negex" / "negex_dev.tsv"


def main() -> int:
    with DATA.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))[1:]
    tp = fp = fn = tn = skipped = 0
    errors = []
    started = time.perf_counter()
    for row in rows:
        condition, sentence, gold = row[1].strip(), row[2], row[3].strip().lower()
        at = sentence.lower().find(condition.lower())
        if at < 0:
            skipped += 1
            continue
        predicted = assert_span(sentence, at, at + len(condition)) == "negated"
        is_negated = gold == "negated"
        tp += predicted and is_negated
        fp += predicted and not is_negated
        fn += (not predicted) and is_negated
        tn += (not predicted) and not is_negated
        if predicted != is_negated:
            errors.append((gold, condition, sentence))
    elapsed = time.perf_counter() - started
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(f"NegEx test kit: {len(rows)} sentences, {skipped} skipped (condition not in sentence)")
    print(f"Negated  precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}  "
          f"(tp {tp} fp {fp} fn {fn} tn {tn})")
    print("Anchor   NegEx (Chapman 2001): sensitivity 0.778, PPV 0.845 "
          f"-> F1 {2 * 0.778 * 0.845 / (0.778 + 0.845):.3f}")
    print(f"Target   F1 >= 0.93: {'met' if f1 >= 0.93 else 'NOT met'}")
    per = 1000 * elapsed / max(1, len(rows) - skipped)
    print(f"Time     {elapsed:.1f} s ({per:.1f} ms/sentence)")
    if "-v" in sys.argv:
        for gold, condition, sentence in errors:
            print(f"  [{gold}] {condition!r}: {sentence}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
