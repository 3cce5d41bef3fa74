"""ICD-10-CM allergy status codes (Z88 drugs, Z91.0 foods, insects, latex, contrast) for the
allergies a note states, from the curated table ``resources/nlp/terms/allergens.tsv``.

An allergy is a status the chart records, not a problem the visit treats, so these codes
come from the allergen's class by table lookup, not from the learned ranking.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from desktop.core.analysis.notes import Concept, NoteAnalysis
from desktop.core.analysis.notes.rule_files import nlp_resources_dir, read_table

OTHER_DRUG = "Z88.8"  # Allergy status to other drugs, medicaments and biological substances
STATED = ("present", "historical")  # "no known allergy to latex" and "possible" are not


@dataclass(frozen=True)
class AllergyStatus:
    code: str
    mentions: tuple[Concept, ...]


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    names: dict[str, str] = {}
    stems: list[tuple[str, str]] = []
    for name, code, match in read_table(nlp_resources_dir() / "terms" / "allergens.tsv"):
        if match == "stem":
            stems.append((name, code))
        else:
            names[name] = code
    return names, tuple(stems)


def allergy_status_code(allergen: str) -> str:
    """The status code for an allergy to ``allergen`` (a term of the allergy concept): its
    listed code, else the first listed stem it contains, else Z88.8 (another drug: every
    other allergy concept is a medication)."""
    names, stems = _table()
    allergen = allergen.lower()
    if allergen in names:
        return names[allergen]
    return next((code for stem, code in stems if stem in allergen), OTHER_DRUG)


def allergy_statuses(analysis: NoteAnalysis) -> list[AllergyStatus]:
    """One status per code, in note order, with every stated allergy mention behind it."""
    by_code: dict[str, list[Concept]] = {}
    for concept in analysis.concepts_of("allergy", assertions=STATED):
        code = allergy_status_code(concept.term or concept.text)
        by_code.setdefault(code, []).append(concept)
    return [AllergyStatus(code, tuple(mentions)) for code, mentions in by_code.items()]
