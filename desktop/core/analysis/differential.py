"""Differential diagnosis: conditions to consider, with the findings for and against each.

Findings come from a ``NoteAnalysis`` (present findings support, documented-absent ones
argue against); condition knowledge comes from ``resources/nlp/differential.json``.
Score = (weights found present - half the weights documented absent) / all weights of the
condition, so a condition with many characteristic findings present ranks first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache

from desktop.core.analysis.notes import Concept, NoteAnalysis
from desktop.core.analysis.notes.rule_files import nlp_resources_dir

AGAINST_FACTOR = 0.5
NAMED_BONUS = 0.4  # the note's own assessment names the condition
MAX_CONDITIONS = 8
EVIDENCE_CATEGORIES = ("problem", "symptom", "finding")


@dataclass(frozen=True)
class ConditionKnowledge:
    name: str
    icd10: str
    findings: dict[str, float]


@dataclass
class DifferentialItem:
    name: str
    icd10: str
    score: float
    findings_for: list[tuple[str, Concept]] = field(default_factory=list)
    findings_against: list[tuple[str, Concept]] = field(default_factory=list)
    named_in_note: bool = False

    @property
    def detail(self) -> str:
        pro = ", ".join(sorted({f for f, _ in self.findings_for})) or "none"
        con = ", ".join(sorted({f for f, _ in self.findings_against})) or "none documented"
        return f"Findings for: {pro}. Findings against: {con}."


@lru_cache(maxsize=1)
def knowledge() -> tuple[tuple[ConditionKnowledge, ...], dict[str, str]]:
    """Conditions and a synonym -> canonical finding map."""
    data = json.loads((nlp_resources_dir() / "differential.json").read_text(encoding="utf-8"))
    synonyms = {}
    for canonical, alts in data["synonyms"].items():
        for alt in alts:
            synonyms[alt.lower()] = canonical
    conditions = tuple(
        ConditionKnowledge(c["name"], c["icd10"], {k.lower(): float(v) for k, v in
                                                   c["findings"].items()})
        for c in data["conditions"]
    )
    return conditions, synonyms


def _finding_names(concept: Concept, synonyms: dict[str, str]) -> set[str]:
    names = {concept.text.lower(), concept.term.lower()}
    return names | {synonyms[n] for n in names if n in synonyms}


def differential(analysis: NoteAnalysis, limit: int = MAX_CONDITIONS) -> list[DifferentialItem]:
    conditions, synonyms = knowledge()
    present, absent = [], []
    for concept in analysis.concepts_of(*EVIDENCE_CATEGORIES):
        names = _finding_names(concept, synonyms)
        if concept.assertion == "present":
            present.append((names, concept))
        elif concept.assertion == "negated":
            absent.append((names, concept))
    items = []
    for condition in conditions:
        total = sum(w for w in condition.findings.values() if w > 0)
        item = DifferentialItem(condition.name, condition.icd10, 0.0)
        gained = lost = 0.0
        for finding, weight in condition.findings.items():
            hit_for = next((c for names, c in present if finding in names), None)
            hit_against = next((c for names, c in absent if finding in names), None)
            if hit_for is not None:
                (item.findings_for if weight > 0 else item.findings_against).append(
                    (finding, hit_for))
                gained += weight if weight > 0 else 0.0
                lost += -weight if weight < 0 else 0.0
            elif hit_against is not None and weight > 0:
                item.findings_against.append((finding, hit_against))
                lost += AGAINST_FACTOR * weight
        if not item.findings_for or gained <= lost:
            continue
        named = next((c for _, c in present if c.category == "problem" and c.codes
                      and c.codes[0][:3] == condition.icd10[:3]), None)
        item.named_in_note = named is not None
        if named is not None:
            item.findings_for.append(("named in the note", named))
        bonus = NAMED_BONUS if named is not None else 0.0
        item.score = round(min(1.0, max(0.0, (gained - lost) / total + bonus)), 4)
        items.append(item)
    items.sort(key=lambda i: (-i.score, -len(i.findings_for), i.name))
    return items[:limit]
