"""One assertion per concept from ConText modifiers and the section it sits in.

Priority when several apply: negated > family > hypothetical > possible > historical >
present — e.g. "no family history of diabetes" is negated, not family.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Span

from desktop.core.analysis.notes.rule_files import nlp_resources_dir

ASSERTION_BY_MODIFIER = {
    "NEGATED_EXISTENCE": "negated",
    "FAMILY": "family",
    "HYPOTHETICAL": "hypothetical",
    "POSSIBLE_EXISTENCE": "possible",
    "HISTORICAL": "historical",
}
PRIORITY = ("negated", "family", "hypothetical", "possible", "historical")
# Measurements and medications are not negated by e.g. "no" in "no change in BP 120/80".
CONTEXT_TYPES = {"problem", "symptom", "finding", "procedure", "medication", "allergy"}


def add_context(nlp: Language) -> None:
    nlp.add_pipe(
        "medspacy_context",
        config={
            "rules": str(nlp_resources_dir() / "context_rules.json"),
            "allowed_types": sorted(t.upper() for t in CONTEXT_TYPES),  # ConText upper-cases labels
        },
    )


def modifier_names(span: Span) -> tuple[str, ...]:
    return tuple(sorted({m.category for m in span._.modifiers}))


def assertion_of(span: Span, section_default: str | None) -> str:
    found = {ASSERTION_BY_MODIFIER[m.category] for m in span._.modifiers
             if m.category in ASSERTION_BY_MODIFIER}
    if section_default:
        found.add(section_default)
    for assertion in PRIORITY:
        if assertion in found:
            return assertion
    return "present"
