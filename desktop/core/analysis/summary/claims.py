"""The exact, checkable facts in a sentence: numbers with units, drug-like words, negation.

Used both on note text (to index what the note says) and on generated sentences (to see
what they claim). Plain regular expressions: the point is that these checks are exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from desktop.core.analysis.summary.rules import SummaryRules

_NUMBER = re.compile(r"(?<![\w.])(\d+(?:,\d{3})*(?:\.\d+)?(?:/\d+(?:\.\d+)?)*)")
_UNIT_AFTER = re.compile(r"[\s-]{0,2}(%|[a-zA-Z]+(?:/[a-zA-Z]+)?)")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
# Units that mean the same thing, so "130 pounds" supports "130 lbs".
_UNIT_ALIASES = {
    "lbs": "lb", "pounds": "lb", "pound": "lb", "percent": "%", "years": "year",
    "months": "month", "weeks": "week", "days": "day", "hours": "hour", "minutes": "min",
    "inches": "in", "feet": "ft", "units": "unit", "degrees": "degree", "beats": "bpm",
}


@dataclass(frozen=True)
class NumberClaim:
    value: str  # normalised: no thousands separators, no trailing ".0"
    unit: str  # canonical unit, or "" when none follows
    start: int
    end: int

    @property
    def shown(self) -> str:
        return f"{self.value} {self.unit}".strip()


def normalise_number(raw: str) -> str:
    parts = []
    for part in raw.replace(",", "").split("/"):
        if "." in part:
            part = part.rstrip("0").rstrip(".") or "0"
        parts.append(part.lstrip("0") or "0")
    return "/".join(parts)


def canonical_unit(word: str, rules: SummaryRules) -> str:
    word = word.lower()
    if word not in rules.units:
        return ""
    return _UNIT_ALIASES.get(word, word)


def find_numbers(
    text: str, rules: SummaryRules, *, number_words: bool = False
) -> list[NumberClaim]:
    """Numbers in ``text`` with the unit that follows each, if it is a known unit.

    ``number_words`` also reads "two", "ten"... (notes often spell numbers out).
    """
    claims: list[NumberClaim] = []
    for match in _NUMBER.finditer(text):
        unit_match = _UNIT_AFTER.match(text, match.end())
        unit = canonical_unit(unit_match.group(1), rules) if unit_match else ""
        claims.append(NumberClaim(normalise_number(match.group(1)), unit, *match.span()))
    if number_words:
        for match in _WORD.finditer(text):
            value = rules.number_words.get(match.group(0).lower())
            if value is None:
                continue
            unit_match = _UNIT_AFTER.match(text, match.end())
            unit = canonical_unit(unit_match.group(1), rules) if unit_match else ""
            claims.append(NumberClaim(str(value), unit, *match.span()))
    return claims


def generated_number_words(text: str, rules: SummaryRules) -> list[NumberClaim]:
    """Spelled-out numbers a model wrote; "one" and "zero" are too often not numbers."""
    return [
        claim
        for claim in find_numbers(text, rules, number_words=True)
        if not text[claim.start].isdigit() and claim.value not in {"0", "1"}
    ]


def drug_like_words(text: str, rules: SummaryRules) -> list[str]:
    """Words whose ending marks them as a drug name (e.g. lisinopril, metoprolol)."""
    found = []
    for match in _WORD.finditer(text):
        word = match.group(0).lower()
        if len(word) >= 6 and word.endswith(rules.drug_suffixes):
            found.append(match.group(0))
    return found


def negation_cues_in(text: str, rules: SummaryRules) -> list[str]:
    lowered = f" {text.lower()} "
    cues = []
    for cue in rules.negation_cues:
        if cue == "n't":
            if "n't" in lowered:
                cues.append(cue)
        elif re.search(rf"\b{re.escape(cue)}\b", lowered):
            cues.append(cue)
    return cues


def contains_term(text_lower: str, term: str) -> int:
    """Offset of ``term`` as whole words in ``text_lower`` (lower-cased), or -1."""
    term = term.lower().strip()
    if not term:
        return -1
    match = re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", text_lower)
    return match.start() if match else -1


def content_words(text: str, stop_words: frozenset[str]) -> list[str]:
    return [
        w.lower()
        for w in _WORD.findall(text)
        if len(w) >= 4 and w.lower() not in stop_words
    ]
