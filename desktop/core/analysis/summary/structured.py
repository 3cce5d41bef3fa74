"""The structured summary: deterministic, rule-based, every line a span of the note.

Always available (no model needed): a one-line synopsis, active problems, symptoms and
findings, pertinent negatives, past and family history, medications, allergies, key vitals
and labs, social history, assessment and plan. It only *selects* note text found by
the note analysis, so every item is supported by construction and points at its span.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from desktop.core.analysis.notes.concepts.extraction import PAIRED_RESULTS
from desktop.core.analysis.notes.problem_names import general_form_of, problem_key
from desktop.core.analysis.notes.reference_intervals import out_of_range_note
from desktop.core.analysis.summary.rules import SummaryRules, load_rules
from desktop.core.analysis.summary.sources import SourceNote
from desktop.core.provenance import NoteSpan

# Display order and headings of the item categories; the UI groups items by these.
HEADINGS = {
    "synopsis": "Synopsis",
    "problem": "Active problems",
    "symptom": "Symptoms and findings",
    "negative": "Pertinent negatives",
    "history": "Past history",
    "family": "Family history",
    "medication": "Medications",
    "allergy": "Allergies",
    "vital": "Key vitals",
    "lab": "Key labs",
    "social": "Social history",
    "assessment": "Assessment",
    "plan": "Plan",
}
_MAX_PER_SECTION = 8
_MAX_PER_CONCEPT_GROUP = 12  # a long review of systems must not bury the rest
_CLINICAL = {"problem", "symptom", "finding"}
# Categories whose items are one per problem (named as ``problem_names`` names it), not one
# per wording.
_SAME_PROBLEM = {"problem", "symptom", "history", "family", "negative"}
_MAX_SYNOPSIS_CHARS = 240
_ALLERGY_ASSERTIONS = {"present", "historical", "negated"}  # "no known allergies" matters
# Separators of a medication list: "Nexium 40 mg q.d., Celebrex 200 mg q.d. and ..."
_LIST_SEPARATOR = re.compile(
    r",\s+(?=[A-Za-z])|;|\n|\s+and\s+(?=[A-Za-z])|(?:^|[\s,])\d{1,2}[.)]\s+")
_LEADING_JOINER = re.compile(r"^(?:and|or|plus)\s+", re.IGNORECASE)
_TRAILING_NUMBER = re.compile(r"[.,]\s*\d{1,2}[.)]$")  # "...cheaper.,2." -> "...cheaper."
_PERSON_TERMS = frozenset({"smoker", "drinker", "diabetic", "alcoholic"})
_NUMBER_CONTINUES = re.compile(r"(?:,\d{3})+(?!\d)|\.\d+")
# "He denied any previous history of back pain" denies the past, not the back pain he came
# with: the label keeps the note's word ("No previous back pain"). The word must qualify the
# finding (or its history), not a time: "In the past 3 days she denies fever" is "No fever".
_EARLIER_WORD = re.compile(
    r"\b(previous|prior|past)\s+(?:(?:significant|medical|personal|known)\s+)?"
    r"(?:(?:history|episodes?|diagnosis)\s+of\s+)?$", re.IGNORECASE)
# "CSF, white blood cell count of 2, glucose of 55": no blood result, so no blood limit judges
# it; the specimen named last before the result in its sentence says which.
_SPECIMEN = re.compile(
    r"\b(?:(csf|cerebrospinal|spinal fluid|pleural|peritoneal|ascitic|synovial|joint fluid|"
    r"urine|urinary|urinalysis|stool|sputum|amniotic|drain)|"
    r"(serum|blood(?!\s+(?:cells?|count|urea|pressure))|plasma))\b",
    re.IGNORECASE)
# "He has had no symptoms of CAD or CHF": the symptoms are denied, not the disease.
_SYMPTOMS_OF = re.compile(
    r"\bsymptoms?\s+(?:of|suggestive\s+of|concerning\s+for)\s+"
    r"(?:[\w-]+(?:\s*,\s*|\s+(?:or|and)\s+))*$", re.IGNORECASE)
_DOSE = re.compile(r"\d\s*(?:mg|mcg|g|gm|ml|units?|meq|%|puffs?|tabs?|tablets?)\b",
                   re.IGNORECASE)
# How a piece of a medication list that goes on the order before it starts ("for one month",
# "then decrease to ...", "right abdomen"), and how a list's opening remark starts ("On
# transfer, Celebrex, ...").
_CONTINUES = frozenset({"for", "then", "to", "and", "the", "as", "with", "until", "times",
                        "x", "right", "left", "each", "per", "in", "at", "after", "before",
                        "if", "dose", "decrease", "increase", "taper", "tapering", "which",
                        "while", "when", "should", "may", "every", "daily",
                        # how to take it: "oral suspension p.o. q.i.d., swish and spit"
                        "swish", "spit", "rinse", "gargle", "swallow", "chew", "apply",
                        "take", "use", "inhale", "dissolve", "crush", "mix", "avoid"})
_OPENS = frozenset({"on", "at", "upon", "before", "after", "prior"})
# "twice a day on Friday, Saturday, and Sunday": the days go on the order, they are no drugs
_DAYS_ONLY = re.compile(r"^(?:(?:and|or)\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)days?\W*$",
                        re.IGNORECASE)
# Where a sentence of an order ends and another begins: "... for chronic pain.  She is
# running out of that" (a list the CSV export flattened runs on into the note's prose).
_NEXT_SENTENCE = re.compile(r"(?<!\bDr)(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bSt)[.!?][,\s]\s*(?=[A-Z])")
# A sentence that narrates (a procedure's description), not names: "The scope was used."
_NARRATES = re.compile(r"\b(?:was|were|is|are|has|had|have)\b", re.IGNORECASE)
# "None", or only the words that introduce the list ("DISCHARGE MEDICATIONS: Include, 1. ...")
# "None.", "Includes:", and a pointer elsewhere: "Detailed on the H&P form.", "As per the HPI."
_NOT_A_DRUG = re.compile(r"^(?:(none|no|nil|n/?a|negative|unknown|detailed|documented|listed|"
                         r"reviewed|recorded|see|as per|per)\b|(?:include[sd]?|including|"
                         r"as follows)\W*$)", re.IGNORECASE)
_PAIRED_FIRST = {first for first, _second in PAIRED_RESULTS.values()}


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
    header = getattr(section, "header", "") or ""
    heading = (header or section.name).lower().strip(" ,.:;")
    out = []
    for span in _sentences_in(note, section.start, section.end):
        if span.end <= section.start + len(header):
            continue  # a piece of a header the sentence splitter cut ("PROBLEMS", "DIAGNOSES:")
        trailing = _TRAILING_NUMBER.search(span.text)
        if trailing:
            span = note.span(span.start, span.start + trailing.start() + 1)
        if _has_words(span.text) and span.text.lower().strip(" ,.:;") != heading:
            out.append(span)
    return out


def _is_title(text: str) -> bool:
    """A capitalised line without a full stop (in a note written in mixed case): the next
    study's title in a report of several ("CT FACIAL BONES WITHOUT CONTRAST")."""
    text = text.strip(" ,;")
    return text.isupper() and not text.endswith((".", "!", "?"))


def _has_words(text: str) -> bool:
    """At least one real word: "1." or "," alone is list numbering, not content."""
    return any(len(w) >= 3 for w in re.findall(r"[A-Za-z]+", text))


def _synopsis(note: SourceNote, rules: SummaryRules) -> dict[str, Any] | None:
    """The first sentence of the first synopsis section (chief complaint, history, ...), else
    an operative note's procedure line, else the note's first sentence; the detail says which
    section, as "Injury." alone does not say it is the reason for an examination."""
    candidates: list[tuple[NoteSpan, str]] = []
    for category in rules.synopsis_sections:
        for section in note.analysis.sections:
            if section.name == category:
                candidates += [(span, section.name) for span in _body_sentences(note, section)[:1]]
    for section in note.analysis.sections:
        if _header_literal(section) in rules.synopsis_procedure_headers:
            candidates += [(span, section.name) for span in _body_sentences(note, section)[:1]
                           if not _NARRATES.search(span.text)]
    candidates += [(s, "") for s in note.sentence_spans() if len(s.text.split()) >= 4][:1]
    if not candidates:
        return None
    span, section_name = candidates[0]
    label = span.text if len(span.text) <= _MAX_SYNOPSIS_CHARS else (
        span.text[: _MAX_SYNOPSIS_CHARS].rsplit(" ", 1)[0] + " …"
    )
    detail = " · ".join(p for p in (note.label, _humanise(section_name)) if p)
    return _item("synopsis", label, detail, [span])


def _header_literal(section: Any) -> str:
    """"PROCEDURE PERFORMED: " -> "procedure performed:", as the section rules write it."""
    return re.sub(r"\s+", " ", (getattr(section, "header", "") or "").lower()).strip(" ,")


def _concept_label(concept: Any) -> str:
    parts = [concept.text]
    value = getattr(concept, "value", None)
    if value not in (None, "") and str(value) not in concept.text:
        parts.append(str(value))
        unit = getattr(concept, "unit", None)
        if unit and str(unit) not in concept.text:
            parts.append(str(unit))
    return " ".join(parts)


def _summary_category(concept: Any) -> str | None:
    """Where a concept goes in the summary; None when it does not belong there (a possible
    or hypothetical problem is a question, not a fact about the patient)."""
    category, assertion = concept.category, concept.assertion
    if category in _CLINICAL:
        if assertion == "negated":
            return "negative"
        if assertion == "family":
            return "family"
        if assertion == "historical":
            return "history"
        if assertion == "present":
            if category == "finding" and not concept.codes and concept.section == "social_history":
                return None  # "He is a nonsmoker": the social history is listed as written
            return "problem" if category == "problem" else "symptom"
        return None
    if category == "procedure":
        return "history" if assertion == "historical" else None
    return category if category in {"medication", "allergy", "vital", "lab"} else None


def _names(listed: str, drug: str) -> bool:
    """Whether ``listed`` (lower-case drug list text) names ``drug`` as a word: "ASA" is not
    in "nasal spray"."""
    return re.search(rf"(?<!\w){re.escape(drug.lower())}(?!\w)", listed) is not None


def _is_planned(assertion: str, role: str | None) -> bool:
    """A drug the note plans to start: a possible one only where the note plans (plan or
    assessment: "consider atorvastatin"), as elsewhere it may mean unsure whether it is taken
    ("possibly on aspirin"); a hypothetical one anywhere but the medication list ("her
    cardiologist plans to start aspirin"), whose entries are shown as written."""
    if assertion == "possible":
        return role in {"plan", "assessment"}
    return assertion == "hypothetical" and role != "medications"


def _other_specimen(text: str, start: int) -> bool:
    """Whether the result at ``start`` is of CSF, urine, a pleural fluid... by the specimen
    its sentence names last before it."""
    before = re.split(r"\.\s", text[max(0, start - 120):start])[-1]
    named = list(_SPECIMEN.finditer(before))
    return bool(named) and named[-1].group(1) is not None


def _within(term: str | None, terms: set[str]) -> bool:
    """``term`` is one of ``terms`` or whole words of one: the ROS's "denies any nausea or
    vomiting at this time" beside the present illness's "nausea and vomiting"."""
    if not term:
        return False
    words = re.compile(rf"\b{re.escape(term)}\b")
    return any(words.search(other) for other in terms if other)


def _concept_items(
    note: SourceNote, rules: SummaryRules, *, medication_list: str = ""
) -> list[dict[str, Any]]:
    items = []
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    terms: dict[int, Any] = {}  # id of a clinical item -> the concept it was listed for
    concepts = sorted(note.analysis.concepts, key=lambda c: c.start)
    # Problems named in the assessment come first: that is where the active list lives.
    assessment = _sections_with_role(note, "assessment", rules)

    def in_assessment(c: Any) -> bool:
        return any(s.start <= c.start < s.end for s in assessment)

    concepts.sort(key=lambda c: (c.category != "problem" or not in_assessment(c), c.start))
    counts: dict[str, int] = {}
    # "No shortness of breath" beside "short of breath on one flight": the note qualifies the
    # symptom; listing it as absent would contradict the present one.
    # Likewise a past mention of a problem the note treats as current ("the history of
    # coronal hypospadias" it operates on) is not also past history; a past procedure is.
    present_terms = {c.term for c in concepts if c.assertion == "present"}
    present_problem_keys = {problem_key(c) for c in concepts
                            if c.assertion == "present" and c.category in _CLINICAL}
    present_problems = {c.term for c in concepts
                        if c.assertion == "present" and c.category in _CLINICAL}
    drugs = ""  # the drugs listed so far
    first_of_pair: dict[int, tuple[dict[str, Any], str | None]] = {}
    for concept in concepts:
        category = _summary_category(concept)
        assertion = concept.assertion
        if category is None or (
            category == "negative" and _within(concept.term, present_terms)
        ) or (category == "history" and concept.term in present_problems):
            continue
        role = rules.section_role(concept.section)
        in_plan = role in {"plan", "assessment"}  # where a note orders ("Assessment and Plan")
        planned = category == "medication" and _is_planned(assertion, role)
        if category == "medication" and not planned and (
            assertion not in {"present", "historical"} or (medication_list and not in_plan)
            or (assertion == "present" and _names(medication_list + drugs, concept.text))
        ):
            continue  # the medication list already has it; new drugs in the plan still count
        if category == "allergy" and assertion not in _ALLERGY_ASSERTIONS:
            continue
        if category in {"vital", "lab"} and assertion in {"hypothetical", "family"}:
            continue
        if counts.get(category, 0) >= _MAX_PER_CONCEPT_GROUP:
            continue
        span = note.span(concept.start, concept.end)
        label = _concept_label(concept)
        if category in {"vital", "lab"}:
            # Show the measurement as written, with the whole number: "41,900", not "41".
            more = _NUMBER_CONTINUES.match(note.text, span.end)
            if more:
                span = note.span(span.start, more.end())
            label = span.text
            whole = f"{concept.value}{more.group()}" if more and concept.value else None
            flag = (out_of_range_note(concept, whole)
                    if category == "lab" and not _other_specimen(note.text, concept.start)
                    else None)
            if category == "lab" and concept.start in first_of_pair:
                # a pair's second result ("H&H of 8.8 and 26"): one line for both
                first, first_flag = first_of_pair.pop(concept.start)
                flags = [f for f in (first_flag, flag and f"{concept.term} {flag}") if f]
                first["label"] = f"{span.text} ({'; '.join(flags)})" if flags else span.text
                first["evidence"] = [span.to_dict()]
                continue
            if flag:
                label = f"{label} ({flag})"  # "calcium level was 7.5 (low: below 8.5 ...)"
        if assertion == "negated" and category in {"allergy", "negative"}:
            # "He is not a smoker": "Not a smoker", not "No smoker"
            earlier = _EARLIER_WORD.search(note.text, max(0, concept.start - 60), concept.start)
            symptoms = _SYMPTOMS_OF.search(note.text, max(0, concept.start - 60), concept.start)
            label = (f"Not a {concept.text}" if concept.term in _PERSON_TERMS
                     else f"No {earlier.group(1).lower()} {concept.text}" if earlier
                     else f"No symptoms of {concept.text}" if symptoms
                     else f"No {concept.text}")
            if not symptoms and problem_key(concept) in present_problem_keys:
                continue  # "no CHF" beside the active "Congestive heart failure"
        if assertion == "historical" and category == "medication":
            label = f"{label} (stopped, held or past)"  # "Metformin was discontinued"
        if planned:
            label = f"{label} (planned, not started)"  # "may start metformin"
        same = problem_key(concept) if category in _SAME_PROBLEM else label.lower()
        key = (category, same)
        if key in seen:
            if category in _SAME_PROBLEM:  # "deviated nasal septum", "nasal septal deviation"
                seen[key]["evidence"].append(span.to_dict())
            continue
        if category == "medication":
            drugs += f" {concept.text.lower()}"  # "start Lovenox ... before the Lovenox": once
        counts[category] = counts.get(category, 0) + 1
        section = _humanise(getattr(concept, "section", "") or "")
        detail = " · ".join(p for p in (note.label, section) if p)
        items.append(_item(category, label, detail, [span]))
        seen[key] = items[-1]
        if category == "lab" and concept.term in _PAIRED_FIRST:
            first_of_pair[concept.start] = (items[-1], flag and f"{concept.term} {flag}")
        if category in _SAME_PROBLEM:
            terms[id(items[-1])] = concept
    return _without_general_forms(items, terms)


def _without_general_forms(items: list[dict[str, Any]], concepts: dict[int, Any]) -> list[dict]:
    """A problem named generally beside the one specific form of it listed
    (``names_generally``) is that problem: "Disc herniation" beside "Herniated disc, C5-C6"
    (cervical disc herniation), a past "Hepatitis" beside the active "Hepatitis C". Its
    mention becomes evidence of the specific one."""
    dropped: set[int] = set()
    for item in items:
        concept = concepts.get(id(item))
        if concept is None:
            continue
        into = {item["category"], "problem"} if item["category"] == "history" else {
            item["category"]}
        others = [other for other in items if other is not item and id(other) not in dropped
                  and other["category"] in into and id(other) in concepts]
        wider = general_form_of(concept, [concepts[id(other)] for other in others])
        if wider is not None:
            others[wider]["evidence"].extend(item["evidence"])
            dropped.add(id(item))
    return [item for item in items if id(item) not in dropped]


def _list_entries(note: SourceNote, section: Any) -> list[NoteSpan]:
    """Entries of a list section ("a 10 mg, b 5 mg and c"), each as a trimmed span."""
    body_start = section.start
    header = getattr(section, "header", "") or ""
    if header and note.text.startswith(header, section.start):
        body_start += len(header)
    entries = []
    cursor = body_start
    body = note.text[body_start : section.end]
    for sep in [*_LIST_SEPARATOR.finditer(body), None]:
        end = body_start + (sep.start() if sep else len(body))
        span = note.span(cursor, end)
        lead = _LEADING_JOINER.match(span.text)
        if lead:
            span = note.span(span.start + lead.end(), span.end)
        text = span.text.rstrip(" :")
        # "As an outpatient:" heads the entries after it; it is none of them
        heads = span.text.rstrip().endswith(":") and not _DOSE.search(text)
        if _has_words(text) and not _NOT_A_DRUG.match(text) and not heads:
            entries.append(note.span(span.start, span.start + len(text)))
        cursor = body_start + (sep.end() if sep else len(body))
    return entries


def _whole_orders(note: SourceNote, entries: list[NoteSpan]) -> list[NoteSpan]:
    """List entries joined into whole orders. A piece that names no drug, gives no dose and
    goes on in lower case with "for", "then", "to"... (or is a clause of prose) belongs to the
    order before it ("Celebrex 200 mg daily, for one month"; "cream to the right arm, right
    abdomen"); a short opening "On transfer," to the order after it. Brand names a term list
    lacks stay orders. An order ends where the note's prose takes over."""
    drugs = [(c.start, c.end) for c in note.analysis.concepts if c.category == "medication"]

    def plain(entry: NoteSpan, words: frozenset[str] | None = None) -> bool:
        """No drug and no dose, and (if ``words``) starting with one of them."""
        first = entry.text.split(maxsplit=1)[0].strip(",.;:").lower() if entry.text else ""
        return ((words is None or first in words) and not _DOSE.search(entry.text)
                and not any(entry.start < end and start < entry.end for start, end in drugs))

    orders: list[NoteSpan] = []
    opening: NoteSpan | None = None
    for entry in entries:
        # ... and so does a lower-case clause of prose: "so we are calling a prescription"
        if orders and (_DAYS_ONLY.match(entry.text) or entry.text[:1].islower() and (
                plain(entry, _CONTINUES) or (len(entry.text.split()) > 3 and plain(entry)))):
            orders[-1] = note.span(orders[-1].start, entry.end)
        elif not orders and opening is None and len(entry.text.split()) <= 3 and plain(
                entry, _OPENS):
            opening = entry
        else:
            start = opening.start if opening is not None and not orders else entry.start
            orders.append(note.span(start, entry.end))
    orders = [_without_prose_tail(note, order, drugs) for order in orders]
    return orders or ([opening] if opening else [])


def _without_prose_tail(note: SourceNote, order: NoteSpan,
                        drugs: list[tuple[int, int]]) -> NoteSpan:
    """An order up to the first sentence after which no drug and no dose is named: "Percocet
    10/325 one to two at night for chronic pain." without "She is running out of that, so we
    are calling a prescription"."""
    # where the last dose and the last drug of the order begin and end (one pass, not one
    # per sentence: a section that runs on can be most of a long note)
    last_dose = max((m.start() for m in _DOSE.finditer(order.text)), default=-1)
    last_drug = max((e for s, e in drugs if order.start < e and s < order.end), default=-1)
    for cut in _NEXT_SENTENCE.finditer(order.text):
        if cut.end() > last_dose and order.start + cut.end() >= last_drug:
            return note.span(order.start, order.start + cut.start() + 1)
    return order


def _medication_items(note: SourceNote, rules: SummaryRules) -> list[dict[str, Any]]:
    """The medication list as written (with doses); else drugs the note says are taken."""
    items = []
    for section in _sections_with_role(note, "medications", rules):
        detail = f"{note.label} · {_humanise(section.name)}"
        entries = _whole_orders(note, _list_entries(note, section))
        items += [_item("medication", e.text, detail, [e]) for e in entries]
    return items


def _humanise(section_name: str) -> str:
    return section_name.replace("_", " ").capitalize()


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
    """A section's sentences; a sentence said again (an operation's pre- and postoperative
    diagnosis) is one item with both places as its evidence."""
    items: list[dict[str, Any]] = []
    by_text: dict[str, dict[str, Any]] = {}
    mixed_case = not note.text.isupper()  # once: a note can be two million characters
    for section in _sections_with_role(note, role, rules):
        # (a chief complaint in capitals is the complaint; here such a line is a title)
        body = [span for span in _body_sentences(note, section)
                if not (mixed_case and _is_title(span.text))]
        for span in body[:_MAX_PER_SECTION]:
            said = by_text.get(span.text.lower().strip(" ,.;:"))
            if said is not None:
                said["evidence"].append(span.to_dict())
                continue
            detail = f"{note.label} · {_humanise(section.name)}"
            items.append(_item(role, span.text, detail, [span]))
            by_text[span.text.lower().strip(" ,.;:")] = items[-1]
    return items


def structured_items(notes: Sequence[SourceNote], rules: SummaryRules | None = None) -> list[dict]:
    """Items of the structured summary for the notes, grouped in HEADINGS order."""
    rules = rules or load_rules()
    by_category: dict[str, list[dict[str, Any]]] = {c: [] for c in HEADINGS}
    for note in notes:
        synopsis = _synopsis(note, rules)
        if synopsis:
            by_category["synopsis"].append(synopsis)
        note_items = _medication_items(note, rules)
        listed = " ".join(item["label"] for item in note_items).lower()
        note_items += _concept_items(note, rules, medication_list=listed)
        if not any(i["category"] == "allergy" for i in note_items):
            note_items += _allergy_section_items(note, rules)
        note_items += _section_sentence_items(note, "assessment", rules)
        note_items += _section_sentence_items(note, "plan", rules)
        # smoking, alcohol, work, who is at home: a sentence each, as the note puts it
        note_items += _section_sentence_items(note, "social", rules)
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
