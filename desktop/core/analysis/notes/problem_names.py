"""The names a problem list shows for terms a note writes as an abbreviation or in lay words
(``terms/problem_names.tsv``): "htn" is Hypertension, "smokes" Tobacco use. Mentions of terms
with one name are one problem, in the Diagnoses pane and in the summary alike."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from desktop.core.analysis.notes.concepts.site_terms import names_sited_generally
from desktop.core.analysis.notes.rule_files import nlp_resources_dir, read_table

# What follows a condition's name to give its type: "hepatitis C", "diabetes type 2".
_TYPE = re.compile(r" (?:[a-e]|[1-9]|i{1,3}|type (?:[1-9]|i{1,3}))")


@lru_cache(maxsize=1)
def _problem_names() -> dict[str, str]:
    rows = read_table(nlp_resources_dir() / "terms" / "problem_names.tsv")
    return {term: name for term, name in rows}


def problem_name(concept: Any) -> str | None:
    """The curated name of the concept's term, if it has one."""
    return _problem_names().get(concept.term or concept.text.lower())


def problem_key(concept: Any) -> str:
    """What mentions of one problem share: its name, else its term."""
    return (problem_name(concept) or concept.term or concept.text.lower()).lower()


def names_generally(concept: Any, other: Any) -> bool:
    """Whether ``concept`` names ``other``'s problem generally: its term is whole words of the
    other's, and both are coded in the same ICD-10-CM block (first two characters) or the
    other only adds a type ("hepatitis" beside "hepatitis C", K75.9 and B19.20); or it is a
    site table's bare term for a sited one ("fracture" beside "talus fracture").
    "Hypertension" beside "pulmonary hypertension" (I10, I27.20) is another condition."""
    term, wider = concept.term, other.term
    if not term or not wider or term == wider:
        return False
    if names_sited_generally(term, wider):
        return True
    if re.search(rf"\b{re.escape(term)}\b", wider) is None:
        return False
    if wider.startswith(term) and _TYPE.fullmatch(wider[len(term):]):
        return True
    blocks = {code[:2] for code in concept.codes or ()}
    return bool(blocks & {code[:2] for code in other.codes or ()})


def general_form_of(concept: Any, others: Sequence[Any]) -> int | None:
    """The index of the one problem in ``others`` that ``concept`` names generally; None
    beside none or beside two ("fracture" beside a hip and a wrist fracture could be either)."""
    wider = [i for i, other in enumerate(others) if names_generally(concept, other)]
    return wider[0] if len(wider) == 1 else None
