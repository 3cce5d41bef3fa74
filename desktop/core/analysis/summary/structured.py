"""The structured summary: deterministic, rule-based, every line a span of the note.

Always available (no model needed): a one-line synopsis, active problems, medications,
allergies, key vitals and labs, assessment and plan. It only *selects* note text found by
the note analysis, so every item is supported by construction and points at its span.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from desktop.core.analysis.summary.rules import SummaryRules, load_rules
from desktop.core.analysis.summary.sources import SourceNote
from desktop.core.provenance import NoteSpan

# Display order and headings of the item categories; the UI groups items by these.
HEADINGS = {
    "synopsis": "Synopsis",
    "problem": "Active problems",
    "medication": "Medications",
    "allergy": "Allergies",
    "vital": "Key vitals",
    "lab": "Key labs",
    "assessment": "Assessment",
    "plan": "Plan",
}
_MAX_PER_SECTION = 8
_MAX_SYNOPSIS_CHARS = 240
_ALLERGY_ASSERTIONS = {"present", "historical", "negated"}  # "no known allergies" matters


def _item(category: str, label: str, detail: str, spans: list[NoteSpan]) -> dict[str, Any]:
    return {
        "label": label,
        "detail": detail,
        "category": category,
        "score": None,
        "supported": True,
        "evidence": [s.to_dict() for s in spans],
    }


def _sections_with_role(note: SourceNote, role: str, rules: SummaryRules) -> list[Any]:
    return [s for s in note.analysis.sections if rules.section_role(s.name) == role]


def _sentences_in(note: SourceNote, start: int, end: int) -> list[NoteSpan]:
    spans = [note.span(s.start, s.end) for s in note.analysis.sentences]
    return [s for s in spans if start <= s.start and s.end <= end and s.text]


def _body_sentences(note: SourceNote, section: Any) -> list[NoteSpan]:
    """Sentences of a section minus a sentence that is only its heading ("PLAN:")."""
    heading = (getattr(section, "header", "") or section.name).lower().strip(" ,.:;")
    out = []
    for span in _sentences_in(note, section.start, section.end):
        words = span.text.lower().strip(" ,.:;")
        if words and words != heading:
            out.append(span)
    return out


def _synopsis(note: SourceNote, rules: SummaryRules) -> dict[str, Any] | None:
    candidates: list[NoteSpan] = []
    for category in rules.sections["synopsis"]:
        for section in note.analysis.sections:
            if section.name == category:
                candidates += _body_sentences(note, section)[:1]
    if not candidates:
        candidates = [s for s in note.sentence_spans() if len(s.text.split()) >= 4][:1]
    if not candidates:
        return None
    span = candidates[0]
    label = span.text if len(span.text) <= _MAX_SYNOPSIS_CHARS else (
        span.text[: _MAX_SYNOPSIS_CHARS].rsplit(" ", 1)[0] + " …"
    )
    return _item("synopsis", label, note.label, [span])


def _concept_label(concept: Any) -> str:
    parts = [concept.text]
    value = getattr(concept, "value", None)
    if value not in (None, "") and str(value) not in concept.text:
        parts.append(str(value))
        unit = getattr(concept, "unit", None)
        if unit and str(unit) not in concept.text:
            parts.append(str(unit))
    return " ".join(parts)


def _concept_items(note: SourceNote, rules: SummaryRules) -> list[dict[str, Any]]:
    items = []
    seen: set[tuple[str, str]] = set()
    concepts = sorted(note.analysis.concepts, key=lambda c: c.start)
    # Problems named in the assessment come first: that is where the active list lives.
    assessment = _sections_with_role(note, "assessment", rules)

    def in_assessment(c: Any) -> bool:
        return any(s.start <= c.start < s.end for s in assessment)

    concepts.sort(key=lambda c: (c.category != "problem" or not in_assessment(c), c.start))
    for concept in concepts:
        category = concept.category
        assertion = concept.assertion
        if category == "problem" and assertion != "present":
            continue
        if category == "medication" and assertion not in {"present", "historical"}:
            continue
        if category == "allergy" and assertion not in _ALLERGY_ASSERTIONS:
            continue
        if category in {"vital", "lab"} and assertion in {"hypothetical", "family"}:
            continue
        if category not in {"problem", "medication", "allergy", "vital", "lab"}:
            continue
        label = _concept_label(concept)
        if category == "allergy" and assertion == "negated":
            label = f"No {concept.text}"
        key = (category, label.lower())
        if key in seen:
            continue
        seen.add(key)
        section = getattr(concept, "section", "") or ""
        detail = " · ".join(p for p in (note.label, section) if p)
        items.append(_item(category, label, detail, [note.span(concept.start, concept.end)]))
    return items


def _allergy_section_items(note: SourceNote, rules: SummaryRules) -> list[dict[str, Any]]:
    """When no allergy concept was found, the allergy section's own words (e.g. NKDA)."""
    items = []
    for section in _sections_with_role(note, "allergies", rules):
        for span in _body_sentences(note, section)[:2]:
            items.append(_item("allergy", span.text, note.label, [span]))
    return items


def _section_sentence_items(
    note: SourceNote, role: str, rules: SummaryRules
) -> list[dict[str, Any]]:
    items = []
    for section in _sections_with_role(note, role, rules):
        for span in _body_sentences(note, section)[:_MAX_PER_SECTION]:
            items.append(_item(role, span.text, f"{note.label} · {section.name}", [span]))
    return items


def structured_items(notes: Sequence[SourceNote], rules: SummaryRules | None = None) -> list[dict]:
    """Items of the structured summary for the notes, grouped in HEADINGS order."""
    rules = rules or load_rules()
    by_category: dict[str, list[dict[str, Any]]] = {c: [] for c in HEADINGS}
    for note in notes:
        synopsis = _synopsis(note, rules)
        if synopsis:
            by_category["synopsis"].append(synopsis)
        note_items = _concept_items(note, rules)
        if not any(i["category"] == "allergy" for i in note_items):
            note_items += _allergy_section_items(note, rules)
        note_items += _section_sentence_items(note, "assessment", rules)
        note_items += _section_sentence_items(note, "plan", rules)
        for item in note_items:
            by_category[item["category"]].append(item)
    return [item for category in HEADINGS for item in by_category[category]]


def build_structured_result(notes: Sequence[SourceNote]) -> dict[str, Any]:
    items = structured_items(notes)
    missing = [
        HEADINGS[c]
        for c in ("medication", "allergy")
        if not any(i["category"] == c for i in items)
    ]
    notice = "Extracted from the note text by rules; each line links to where it was found."
    if missing:
        notice += f" Not found in the note: {', '.join(missing).lower()}."
    return {
        "title": "Structured summary",
        "notice": notice,
        "refusal": None,
        "items": items,
        "headings": HEADINGS,
        "notes": [{"note_id": n.note_id, "date": n.date} for n in notes],
    }
