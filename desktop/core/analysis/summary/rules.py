"""The summary rule file (section roles, grounding thresholds, lexicons) and its checksum."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

RULES_PATH = Path(__file__).with_name("rules.toml")
RULES_PACK_ID = "rules:clinicdesk-summary"


@dataclass(frozen=True)
class SummaryRules:
    sections: dict[str, tuple[str, ...]]
    synopsis_sections: tuple[str, ...]
    synopsis_procedure_headers: frozenset[str]
    similarity_abstractive: float
    similarity_patient: float
    content_overlap_abstractive: float
    negation_cues: tuple[str, ...]
    drug_suffixes: tuple[str, ...]
    units: frozenset[str]
    number_words: dict[str, int]
    # clinical term -> plain words a patient explanation may use for it
    lay_terms: dict[str, tuple[str, ...]]

    def section_role(self, section_name: str) -> str | None:
        """The summary role ("assessment", "plan", ...) of a note section category."""
        for role, categories in self.sections.items():
            if section_name in categories:
                return role
        return None


@lru_cache(maxsize=1)
def load_rules() -> SummaryRules:
    data = tomllib.loads(RULES_PATH.read_text(encoding="utf-8"))
    grounding = data["grounding"]
    lay: dict[str, list[str]] = {}
    for plain, clinical_terms in data["lay_terms"].items():
        for term in clinical_terms:
            lay.setdefault(term, []).append(plain)
    return SummaryRules(
        sections={role: tuple(words) for role, words in data["sections"].items()},
        synopsis_sections=tuple(data["synopsis"]["sections"]),
        synopsis_procedure_headers=frozenset(data["synopsis"]["procedure_headers"]),
        similarity_abstractive=float(grounding["similarity_abstractive"]),
        similarity_patient=float(grounding["similarity_patient"]),
        content_overlap_abstractive=float(grounding["content_overlap_abstractive"]),
        negation_cues=tuple(grounding["negation_cues"]),
        drug_suffixes=tuple(grounding["drug_suffixes"]),
        units=frozenset(grounding["units"]),
        number_words={word: int(value) for word, value in data["number_words"].items()},
        lay_terms={term: tuple(plain) for term, plain in lay.items()},
    )


def rules_checksum(*other_checksums: str) -> str:
    """sha256 over this rule file plus the checksums of other rule sets a summary used."""
    digest = hashlib.sha256(RULES_PATH.read_bytes())
    for checksum in other_checksums:
        digest.update(checksum.encode())
    return digest.hexdigest()
