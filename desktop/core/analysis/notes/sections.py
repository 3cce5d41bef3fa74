"""Section detection with medspaCy's Sectionizer and ClinicDesk's header rules file."""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import replace
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc

from desktop.core.analysis.notes.note_analysis import Section
from desktop.core.analysis.notes.rule_files import nlp_resources_dir

UNLABELLED = "preamble"  # text before the first recognised header
# Where the paragraph of an inline header ends: a blank line, or a line break right after a
# full stop (a hard-wrapped line breaks mid-sentence, a narrative's next sentence does not).
PARAGRAPH_END = re.compile(r"\n[ \t]*\n|(?<=[.!?])[ \t]*\n")


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
    return _inline_headers_end_with_their_paragraph(doc.text, sections)


def _inline_headers_end_with_their_paragraph(text: str, sections: list[Section]
                                             ) -> tuple[Section, ...]:
    """A header with text on its own line ("Family history: uncle with ALS.") labels that
    paragraph only; the narrative after it resumes the section that was open before.

    medspaCy ends a section only at the next header, so in a case report one inline
    "Family history:" made every later problem of the patient a relative's. A header alone
    on its line still opens a section that runs to the next header.
    """
    out: list[Section] = []
    resumed = UNLABELLED
    for section in sections:
        body = section.start + len(section.header)
        line_end = text.find("\n", body, section.end)
        paragraph = PARAGRAPH_END.search(text, body, section.end) if section.header else None
        if paragraph is None or line_end < 0 or not text[body:line_end].strip():
            out.append(section)
            resumed = section.name
            continue
        out.append(replace(section, end=paragraph.start()))
        rest = paragraph.end()
        while rest < section.end and text[rest].isspace():
            rest += 1
        if rest < section.end:
            out.append(Section(resumed, rest, section.end))
    return tuple(out)


def section_name_at(sections: tuple[Section, ...], offset: int) -> str:
    """The name of the section holding ``offset`` (sections in text order)."""
    i = bisect_right([s.start for s in sections], offset) - 1
    return sections[i].name if i >= 0 and offset < sections[i].end else UNLABELLED
