"""Mine phrase -> ICD-10-CM code associations from the CodiEsp training split.

A phrase (word 1-3-gram of the English case text) predicts a code when the train cases
containing it carry the code far more often than cases in general ("necrosis" -> I96,
"pallor" -> R23.1, "disease" -> R69): CodiEsp coders' conventions that no ICD-10-CM
description states. Writes resources/nlp/coding_lexicon.tsv (phrase, code, smoothed
precision, cases with both, lift). The re-ranker's trainer mines the same statistics
out-of-fold. Source: CodiEsp corpus, CLEF eHealth 2020 (CC BY 4.0), train split only.
Run: .venv/bin/python bench/build_coding_lexicon.py
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from scipy.stats import hypergeom

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.build_coding_reranker import TRAIN, load_gold  # noqa: E402
from desktop.core.analysis.coding.icd_table import normalise  # noqa: E402
from desktop.core.analysis.coding.phrase_lexicon import PhraseCode, phrases  # noqa: E402

OUT = REPO / "resources" / "nlp" / "coding_lexicon.tsv"
MIN_CASES = 3  # cases holding both phrase and code
MIN_PRECISION = 0.1
MIN_LIFT = 2.0
# With ~500 cases, most phrase/code pairs that pass the counts above are chance ("ago" ->
# hepatitis C in 4 cases): keep a pair only when so many shared cases would be this unlikely
# under independence (one-sided hypergeometric test).
MAX_P_VALUE = 1e-3
# Words the translated Spanish cases use in one sense and English notes mostly in another:
# "pack" is the cases' "packs/year", but a throat, nasal or wound pack in an operative note
# (MTSamples 4044: F17.290 for "gauze throat pack"); pack-years still count through the
# "cigarettes", "smoker" and "smoking" phrases.
OTHER_SENSES = frozenset({"pack"})


def mine(texts: dict[str, str], gold: dict[str, set[str]]) -> dict[str, tuple[PhraseCode, ...]]:
    """Phrase -> codes it predicts, from ``texts`` (case id -> English text) and ``gold``."""
    case_phrases = {doc: {p for p, _, _ in phrases(text)} for doc, text in texts.items()}
    df = Counter(p for ps in case_phrases.values() for p in ps)
    codes = {doc: {c for c in gold[doc] if normalise(c) == c} for doc in texts}
    code_df = Counter(c for cs in codes.values() for c in cs)
    both: Counter[tuple[str, str]] = Counter()
    for doc, ps in case_phrases.items():
        kept = [p for p in ps if df[p] >= MIN_CASES]
        for code in codes[doc]:
            if code_df[code] >= MIN_CASES:
                both.update((p, code) for p in kept)
    out: dict[str, list[PhraseCode]] = {}
    for (phrase, code), n in both.items():
        if n < MIN_CASES or phrase in OTHER_SENSES:
            continue
        precision = n / (df[phrase] + 1)  # +1: a phrase seen in 3 of 3 cases is not certain
        lift = precision / (code_df[code] / len(texts))
        chance = hypergeom.sf(n - 1, len(texts), code_df[code], df[phrase])
        if precision >= MIN_PRECISION and lift >= MIN_LIFT and chance < MAX_P_VALUE:
            out.setdefault(phrase, []).append(
                PhraseCode(code, round(precision, 4), n, round(lift, 3)))
    # ties by code: the same file from every run (set order varies with the hash seed)
    return {p: tuple(sorted(v, key=lambda h: (-h.precision, h.code))) for p, v in out.items()}


def train_texts(docs) -> dict[str, str]:
    return {doc: (TRAIN / "text_files_en" / f"{doc}.txt").read_text(encoding="utf-8")
            for doc in docs}


def main() -> int:
    gold = load_gold(TRAIN / "trainD.tsv")
    lexicon = mine(train_texts(sorted(gold)), gold)
    with OUT.open("w", encoding="utf-8") as fh:
        fh.write("# Phrases predicting ICD-10-CM codes in CodiEsp train cases (CLEF eHealth "
                 "2020, CC BY 4.0; machine-translated English), built by "
                 "bench/build_coding_lexicon.py. phrase<TAB>code<TAB>precision<TAB>cases"
                 "<TAB>lift\n")
        for phrase in sorted(lexicon):
            for h in lexicon[phrase]:
                fh.write(f"{phrase}\t{h.code}\t{h.precision}\t{h.cases}\t{h.lift}\n")
    pairs = sum(len(v) for v in lexicon.values())
    print(f"{pairs} phrase/code pairs for {len(lexicon)} phrases -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
