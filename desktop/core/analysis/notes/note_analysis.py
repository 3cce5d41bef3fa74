"""What ``analyse_note`` returns: sections, sentences and concepts as character spans."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

CATEGORIES = (
    "problem", "symptom", "finding", "medication", "allergy", "vital", "lab", "procedure",
)
ASSERTIONS = ("present", "negated", "possible", "historical", "family", "hypothetical")
# Conditions the patient has (or had) — the only ones that may be coded as a diagnosis.
PATIENT_ASSERTIONS = ("present", "historical")


@dataclass(frozen=True)
class Section:
    """A note section ``[start, end)``; ``name`` is a category such as ``family_history``."""

    name: str
    start: int
    end: int
    header: str = ""


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int


@dataclass(frozen=True)
class Scope:
    """Text ``[start, end)`` that a ConText cue puts outside the patient's current state
    (``assertion`` negated, family, hypothetical or possible), the cue included."""

    assertion: str
    start: int
    end: int


@dataclass(frozen=True)
class Concept:
    """A clinical concept at ``text[start:end]`` with its ConText assertion.

    ``term`` is the normalised term that matched; ``codes`` are ICD-10-CM codes the term
    list names for it (may be empty); ``value``/``unit`` are set for vitals and labs.
    """

    text: str
    start: int
    end: int
    category: str
    assertion: str
    section: str
    value: str | None = None
    unit: str | None = None
    term: str = ""
    codes: tuple[str, ...] = ()
    modifiers: tuple[str, ...] = ()

    @property
    def is_patient_condition(self) -> bool:
        return self.assertion in PATIENT_ASSERTIONS

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["codes"] = list(self.codes)
        data["modifiers"] = list(self.modifiers)
        return data


@dataclass(frozen=True)
class NoteAnalysis:
    text: str
    note_id: int | None
    sections: tuple[Section, ...]
    sentences: tuple[Sentence, ...]
    concepts: tuple[Concept, ...]
    scopes: tuple[Scope, ...] = ()
    # Term words that mean something else here ("depression of the nasal bone", "HEARING
    # AIDS"): ``[start, end)`` spans where no phrase names the term's condition either.
    other_senses: tuple[tuple[int, int], ...] = ()
    extras: dict[str, Any] = field(default_factory=dict)

    def concepts_of(self, *categories: str, assertions: tuple[str, ...] | None = None
                    ) -> list[Concept]:
        """Concepts in any of ``categories`` (all when empty), optionally by assertion."""
        return [
            c for c in self.concepts
            if (not categories or c.category in categories)
            and (assertions is None or c.assertion in assertions)
        ]

    def section_at(self, offset: int) -> Section | None:
        for section in self.sections:
            if section.start <= offset < section.end:
                return section
        return None

    @cached_property
    def _sentence_starts(self) -> list[int]:
        return [s.start for s in self.sentences]

    def sentence_at(self, offset: int) -> Sentence | None:
        # sentences are in text order and do not overlap: a search, not a scan, since the
        # differential asks this for every concept of notes up to 2 million characters
        i = bisect_right(self._sentence_starts, offset) - 1
        if i >= 0 and offset < self.sentences[i].end:
            return self.sentences[i]
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "note_id": self.note_id,
            "sections": [asdict(s) for s in self.sections],
            "sentences": [asdict(s) for s in self.sentences],
            "concepts": [c.to_dict() for c in self.concepts],
            "scopes": [asdict(s) for s in self.scopes],
            "other_senses": [list(span) for span in self.other_senses],
        }
