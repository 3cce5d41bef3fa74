"""Section detection with medspaCy's Sectionizer and ClinicDesk's header rules file."""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import replace
from functools import lru_cache

from medspacy.section_detection import util as section_util
from medspacy.section_detection.section_rule import SectionRule
from medspacy.section_detection.sectionizer import Sectionizer
from spacy.language import Language
from spacy.tokens import Doc

from desktop.core.analysis.notes.note_analysis import Section
from desktop.core.analysis.notes.rule_files import nlp_resources_dir

UNLABELLED = "preamble"  # text before the first recognised header
BODY_SYSTEM = "body_system"  # "HEENT:", "CHEST:": part of an examination or a review
EXAMINATION_PARENTS = {"physical_exam": "physical_exam", "vital_signs": "physical_exam",
                       "review_of_systems": "review_of_systems", UNLABELLED: "physical_exam"}
# Where the paragraph of an inline header ends: a blank line, or a line break right after a
# full stop (a hard-wrapped line breaks mid-sentence, a narrative's next sentence does not).
PARAGRAPH_END = re.compile(r"\n[ \t]*\n|(?<=[.!?])[ \t]*\n")
MAX_ABBREVIATION = 3  # characters: a header this short needs its colon
LINE_END = re.compile(r"[\n\r]+\s*$")
BLANK_LINE_BEFORE = re.compile(r"\n[ \t]*\n\s*$")
# Capital words on the header's line right before a capitalised header are part of it:
# "PROBLEMS DIAGNOSES:" matched as "DIAGNOSES:" left "PROBLEMS" as the last words of the
# section before (a diagnosis in the summary).
HEADER_LEAD = re.compile(r"(?:^|(?<=[\s.,;:]))((?:[A-Z][A-Z/&'-]*[ \t]+){1,4})$")


@lru_cache(maxsize=1)
def section_assertions() -> dict[str, str]:
    """Section name -> assertion its concepts get by default (e.g. family_history -> family)."""
    data = json.loads((nlp_resources_dir() / "section_rules.json").read_text(encoding="utf-8"))
    return dict(data.get("section_assertions", {}))


@Language.factory("clinicdesk_sectionizer")
class LineHeaderSectionizer(Sectionizer):
    """medspaCy's Sectionizer that also knows a header without its colon, on a line of its own.

    Notes exported from a record system or a PDF often write "ALLERGIES" or "Current
    Medications" alone on a line, then the list: with colon-only rules such a note had no
    sections at all (no allergy list, no family history, the header itself a "problem").
    Without the colon the same words are a header only alone on their line and either in
    capitals or after a blank line, so a problem list's "Allergies" line stays an entry.
    """

    def filter_start_lines(self, doc: Doc, matches: list[tuple[int, int, int]]
                           ) -> list[tuple[int, int, int]]:
        # "DIAGNOSIS (ES):" ends in the token "):"
        return [m for m in matches
                if doc[m[2] - 1].text.endswith(":") or _alone_on_line(doc, m)]

    def filter_end_lines(self, doc: Doc, matches: list[tuple[int, int, int]]
                         ) -> list[tuple[int, int, int]]:
        return matches  # filter_start_lines has checked both ends of a colon-less header


def _alone_on_line(doc: Doc, match: tuple[int, int, int]) -> bool:
    _, start, end = match
    if _opens_exported_list(doc, start, end):
        return True
    if not (section_util.is_start_line(start, doc, LINE_END)
            and section_util.is_end_line(end - 1, doc, LINE_END)):
        return False
    header = doc[start:end].text
    return header.isupper() or start == 0 or BLANK_LINE_BEFORE.search(
        doc[start - 1].text_with_ws) is not None


def _opens_exported_list(doc: Doc, start: int, end: int) -> bool:
    """A capitalised header whose line breaks a CSV export turned into commas, before a
    numbered list: "...thoracentesis.,PROCEDURES,1.  Port-A-Cath placement." (573 such
    headers in MTSamples dev: "PAST MEDICAL HISTORY,1.", "CURRENT MEDICATIONS,1."), or before
    its first capitalised subheader: "...systems negative.,PHYSICAL EXAMINATION,GENERAL:  The
    patient is..." (153: "VITAL SIGNS:", "CONSTITUTIONAL:")."""
    if not doc[start:end].text.isupper() or end + 2 >= len(doc):
        return False
    before_ok = start == 0 or doc[start - 1].text == ","
    if not before_ok or doc[end].text != ",":
        return False
    if doc[end + 1].text == "1" and doc[end + 2].text == ".":
        return True
    if (start and doc[start - 1].whitespace_) or doc[end].whitespace_:
        return False  # an export's commas join the words: ",PHYSICAL EXAMINATION,GENERAL:"
    colon = next((t.i for t in doc[end + 1:end + 8] if t.text == ":"), None)
    return colon is not None and colon > end + 1 and doc[end + 1:colon].text.isupper()


def add_sectionizer(nlp: Language) -> None:
    # span_attrs=None: assertions from sections are applied by context/assertion.py, in one place.
    sectionizer = nlp.add_pipe(
        "clinicdesk_sectionizer",
        name="medspacy_sectionizer",
        config={
            "rules": str(nlp_resources_dir() / "section_rules.json"),
            "span_attrs": None,
            "input_span_type": "group",
            "apply_sentence_boundary": True,
            "require_start_line": True,  # applied to colon-less headers only, see above
        },
        before="medspacy_context",
    )
    # Not the abbreviations ("PE", "HPI", "CC"): alone on a line they are as often a list's
    # entry ("PE" for a pulmonary embolism in a problem list) as a header.
    stems = {rule.literal[:-1].rstrip(): rule.category
             for rule in sectionizer.rules if rule.literal.endswith(":")}
    sectionizer.add([SectionRule(stem, category) for stem, category in stems.items()
                     if len(stem) > MAX_ABBREVIATION])


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
    sections = _whole_headers(doc.text, sections)
    return _inline_headers_end_with_their_paragraph(doc.text, _body_systems_in_place(sections))


def _whole_headers(text: str, sections: list[Section]) -> list[Section]:
    """Each capitalised header with the capital words before it on its line (``HEADER_LEAD``);
    the rules name the header by its known last words ("DIAGNOSES:")."""
    out: list[Section] = []
    for section in sections:
        if out and section.header and section.header.isupper():
            before = out[-1]
            body = text[before.start + len(before.header):section.start]
            lead = HEADER_LEAD.search(body)
            # ... unless they are all the section before says: "ALLERGIES: NKDA MEDICATIONS:"
            if lead and re.search(r"[A-Za-z]", body[:lead.start()]):
                start = section.start - len(lead.group(1))
                out[-1] = replace(before, end=min(before.end, start))
                section = replace(section, start=start, header=text[start:section.start]
                                  + section.header)
        out.append(section)
    return out


def _body_systems_in_place(sections: list[Section]) -> list[Section]:
    """An exam's or a review's "HEENT:", "CHEST:", "ABDOMEN:" belong to the section they sit in.

    Without them, a "VITAL SIGNS:" line ran over the whole examination ("murmur - mentioned in
    vital signs"). Under the vital signs or an examination they are the examination; under a
    review of systems, the review; at the top of a note, an examination template's; under any
    other header (a CT report's "CHEST:" under FINDINGS) they are no header at all.
    """
    out: list[Section] = []
    for section in sections:
        if section.name != BODY_SYSTEM:
            out.append(section)
            continue
        parent = out[-1].name if out else UNLABELLED
        if parent in EXAMINATION_PARENTS:
            out.append(replace(section, name=EXAMINATION_PARENTS[parent]))
        elif out:
            out[-1] = replace(out[-1], end=section.end)
        else:
            out.append(replace(section, name="physical_exam"))
    return out


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
