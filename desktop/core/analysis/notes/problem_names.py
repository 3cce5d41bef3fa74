"""The names a problem list shows for terms a note writes as an abbreviation or in lay words
(``terms/problem_names.tsv``): "htn" is Hypertension, "smokes" Tobacco use. Mentions of terms
with one name are one problem, in the Diagnoses pane and in the summary alike."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from desktop.core.analysis.notes.rule_files import nlp_resources_dir, read_table


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
