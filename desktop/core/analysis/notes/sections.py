"""Section detection with medspaCy's Sectionizer and ClinicDesk's header rules file."""

from __future__ import annotations

import json
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc

from desktop.core.analysis.notes.note_analysis import Section
from desktop.core.analysis.notes.rule_files import nlp_resources_dir

UNLABELLED = "preamble"  # text before the first recognised header


@lru_cache(maxsize=1)
def section_assertions() -> dict[str, str]:
    """Section name -> assertion its concepts get by default (e.g. family_history -> family)."""
    data = json.loads((nlp_resources_dir() / "section_rules.json").read_text(encoding="utf-8"))
    return dict(data.get("section_assertions", {}))


def add_sectionizer(nlp: Language) -> None:
    # span_attrs=None: assertions from sections are applied by context/assertion.py, in one place.
    nlp.add_pipe(
        "medspacy_sectionizer",
        config={
            "rules": str(nlp_resources_dir() / "section_rules.json"),
            "span_attrs": None,
            "input_span_type": "group",
            "apply_sentence_boundary": True,
        },
        before="medspacy_context",
    )


def sections_of(doc: Doc) -> tuple[Section, ...]:
    """Character spans of every section; the header is part of its section."""
    sections = []
    for section in doc._.sections:
        start_tok, end_tok = section.section_span
        if end_tok <= start_tok:
            continue
        start = doc[start_tok].idx
        last = doc[end_tok - 1]
        end = last.idx + len(last.text)
        title_start, title_end = section.title_span
        header = doc[title_start:title_end].text if title_end > title_start else ""
        sections.append(Section(section.category or UNLABELLED, start, end, header))
    return tuple(sections)
