"""Phrases that predict a code in CodiEsp train cases ("necrosis" -> I96, "pallor" -> R23.1).

``resources/nlp/coding_lexicon.tsv`` (built by bench/build_coding_lexicon.py) holds, per
word n-gram, codes whose cases contain it far more often than chance, with the share of
cases containing the phrase that carry the code. A note's phrases are matched only in
sentences about the patient's own state, so the phrase span is the code's evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from spacy.lang.en.stop_words import STOP_WORDS

from desktop.core.analysis.notes.rule_files import nlp_resources_dir, read_table

TOKEN = re.compile(r"[a-z][a-z0-9'-]*")
MAX_WORDS = 3
# Phrases that begin or end with these carry no clinical content of their own.
STOPWORDS = frozenset(
    "a an the of in on at to for with and or by from as is was were be been are it its this "
    "that which who he she his her they their we our after before during since than then "
    "there these those also not no but into under over up down had has have did do does "
    "one two three case patient year years old ago day days week weeks month months later "
    "previously".split())


def _is_content_word(word: str) -> bool:
    """Not a function word, unit letter or number fragment ("l" of "g/l", "x" of "x 10")."""
    return len(word) >= 3 and word not in STOPWORDS and word not in STOP_WORDS


@dataclass(frozen=True)
class PhraseCode:
    code: str
    precision: float  # smoothed share of train cases with the phrase that carry the code
    cases: int  # train cases with both
    lift: float  # precision / share of all train cases carrying the code


def phrases(text: str) -> Iterator[tuple[str, int, int]]:
    """(phrase, start, end) for word 1- to 3-grams not starting or ending in a stopword.

    A phrase also needs one content word: "b and c" or "l" may co-occur with a code in
    train, but shown as a code's evidence they would explain nothing to a clinician.
    """
    words = [(m.group(), m.start(), m.end()) for m in TOKEN.finditer(text.lower())]
    for i in range(len(words)):
        for n in range(1, MAX_WORDS + 1):
            gram = words[i:i + n]
            if len(gram) < n or gram[0][0] in STOPWORDS or gram[-1][0] in STOPWORDS:
                continue
            if not any(_is_content_word(w) for w, _, _ in gram):
                continue
            yield " ".join(w for w, _, _ in gram), gram[0][1], gram[-1][2]


@lru_cache(maxsize=1)
def phrase_lexicon() -> dict[str, tuple[PhraseCode, ...]]:
    out: dict[str, list[PhraseCode]] = {}
    for phrase, code, precision, cases, lift in read_table(
            nlp_resources_dir() / "coding_lexicon.tsv"):
        out.setdefault(phrase, []).append(
            PhraseCode(code, float(precision), int(cases), float(lift)))
    return {p: tuple(v) for p, v in out.items()}
