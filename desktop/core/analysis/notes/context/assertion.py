"""One assertion per concept from ConText modifiers and the section it sits in.

Priority when several apply: negated > family > hypothetical > possible > historical >
present — e.g. "no family history of diabetes" is negated, not family.
"""

from __future__ import annotations

import re
from datetime import date

from spacy.language import Language
from spacy.tokens import Doc, Span

from desktop.core.analysis.notes.concepts.extraction import ALLERGEN, SPAN_GROUP
from desktop.core.analysis.notes.context.considered import (
    CONSIDERED_CUES,
    only_conditions_between,
)
from desktop.core.analysis.notes.context.planned import (
    PLANNED_DRUG_CUES,
    only_drugs_and_doses_between,
)
from desktop.core.analysis.notes.note_analysis import Scope
from desktop.core.analysis.notes.rule_files import nlp_resources_dir

# Curated "with a history of" and the like: marks history and ends a negation's scope.
HISTORY_CLAUSE = "HISTORY_CLAUSE"
ASSERTION_BY_MODIFIER = {
    "NEGATED_EXISTENCE": "negated",
    "FAMILY": "family",
    "HYPOTHETICAL": "hypothetical",
    "POSSIBLE_EXISTENCE": "possible",
    "HISTORICAL": "historical",
    HISTORY_CLAUSE: "historical",
}
PRIORITY = ("negated", "family", "hypothetical", "possible", "historical")
# Cues whose scope is not about the patient's own current state (kept as ``Scope``s).
NOT_PATIENT_MODIFIERS = ("NEGATED_EXISTENCE", "FAMILY", "HYPOTHETICAL", "POSSIBLE_EXISTENCE")
SCOPING_DIRECTIONS = ("FORWARD", "BACKWARD", "BIDIRECTIONAL")
# Measurements and medications are not negated by e.g. "no" in "no change in BP 120/80".
CHUNK_SENTENCES = 20
DATED_HISTORY = "in <year>"  # the curated rule for "stroke in 2015"
CONTEXT_TYPES = {"problem", "symptom", "finding", "procedure", "medication", "allergy", ALLERGEN}


def spans_overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether token spans ``a`` and ``b`` share a token, also when one contains the other."""
    return a[0] < b[1] and b[0] < a[1]


def _fix_medspacy_overlap() -> None:
    """medspaCy 1.3.1's ``tuple_overlaps`` misses a span that lies inside the other, so a
    cue whose scope another cue had already shortened was no longer ended by a terminator
    around it: in "Colonoscopy showed hemorrhoids, but polyps were not identified", "showed"
    shortened the backward negation, and "but" (its scope the whole sentence) then did not end
    it: the hemorrhoids were negated. The same test decides whether a cue lies inside a target
    and whether a target lies in a cue's scope."""
    from medspacy.context import context_graph, context_modifier

    context_modifier.tuple_overlaps = spans_overlap
    context_graph.tuple_overlaps = spans_overlap


def add_context(nlp: Language) -> None:
    _fix_medspacy_overlap()
    context = nlp.add_pipe(
        "medspacy_context",
        config={
            "rules": str(nlp_resources_dir() / "context_rules.json"),
            "allowed_types": sorted(t.upper() for t in CONTEXT_TYPES),  # ConText upper-cases labels
            "input_span_type": "group",
            "span_group_name": SPAN_GROUP,
            # A cue inside a term is part of its name: "nausea without vomiting" (R11.0) and
            # "absent bowel sounds" (R19.11) are findings, and that "without" must not
            # negate "chills" after it (NegEx kit F1 0.949 -> 0.970).
            "prune_on_target_overlap": True,
        },
    )
    # "without known allergies, with a history of hypertension": the history clause is not
    # part of the negation's list. The rules JSON cannot say ``terminated_by``; set it here.
    for rule in context.rules:
        if rule.category == "NEGATED_EXISTENCE":
            rule.terminated_by = {*(rule.terminated_by or ()), HISTORY_CLAUSE}
        if rule.literal == DATED_HISTORY:
            rule.on_modifies = _year_is_past
        if rule.category == "POSSIBLE_EXISTENCE" and rule.literal in CONSIDERED_CUES:
            rule.on_modifies = only_conditions_between
        if rule.category == "HYPOTHETICAL" and rule.literal in PLANNED_DRUG_CUES:
            rule.on_modifies = only_drugs_and_doses_between


def _year_is_past(_target: Span, cue: Span, _between: Span) -> bool:
    """'Stroke in 2015' is history; 'repeat echo for aortic stenosis in 2027' is a plan."""
    return int(cue[-1].text) < date.today().year


def modifier_names(span: Span) -> tuple[str, ...]:
    return tuple(sorted({m.category for m in span._.modifiers}))


def assertion_from(modifiers: tuple[str, ...], section_default: str | None) -> str:
    """The assertion for a concept with these ConText modifier categories."""
    found = {ASSERTION_BY_MODIFIER[m] for m in modifiers if m in ASSERTION_BY_MODIFIER}
    if section_default:
        found.add(section_default)
    for assertion in PRIORITY:
        if assertion in found:
            return assertion
    return "present"


def assertion_of(span: Span, section_default: str | None) -> str:
    return assertion_from(modifier_names(span), section_default)


def context_by_chunks(nlp: Language, doc: Doc, spans: list[Span],
                      sentences_per_chunk: int = CHUNK_SENTENCES
                      ) -> tuple[dict[tuple[int, int], tuple[str, ...]], tuple[Scope, ...]]:
    """ConText modifiers per target ``(start_char, end_char)``, run a few sentences at a time,
    and the text each negation/family/hypothetical/possible cue governs (cue and scope).

    ConText compares every modifier with every target and modifier in the doc; its scope
    never crosses a sentence, so running it on small chunks gives the same answer in
    linear time on long notes. Chunks without targets are run too: a cue governs text
    whether or not a listed concept sits in it ("no necrosis" when necrosis is no term).
    """
    context = nlp.get_pipe("medspacy_context")
    sentences = list(doc.sents)
    result: dict[tuple[int, int], tuple[str, ...]] = {}
    scopes: list[Scope] = []
    for i in range(0, len(sentences), sentences_per_chunk):
        chunk = sentences[i:i + sentences_per_chunk]
        first, last = chunk[0].start, chunk[-1].end
        inside = [s for s in spans if s.start >= first and s.end <= last]
        offset = doc[first].idx
        sub = doc[first:last].as_doc()
        targets = [sub.char_span(s.start_char - offset, s.end_char - offset, label=s.label_)
                   for s in inside]
        sub.spans[SPAN_GROUP] = [t for t in targets if t is not None]
        context(sub)
        for target in sub.spans[SPAN_GROUP]:
            key = (target.start_char + offset, target.end_char + offset)
            result[key] = modifier_names(target)
        scopes.extend(_scopes(sub, offset))
    return result, tuple(scopes)


def _scopes(doc: Doc, offset: int) -> list[Scope]:
    out = []
    for modifier in doc._.context_graph.modifiers:
        if (modifier.category not in NOT_PATIENT_MODIFIERS
                or modifier.direction not in SCOPING_DIRECTIONS):
            continue  # "but" terminates a scope; it governs nothing itself
        first = min(modifier.modifier_span[0], modifier.scope_span[0])
        last = max(modifier.modifier_span[1], modifier.scope_span[1])
        span = doc[first:last]
        out.append(Scope(ASSERTION_BY_MODIFIER[modifier.category],
                         span.start_char + offset, span.end_char + offset))
    return out


# "a history of knee pain for 13 years", "history of penile swelling for 4 days": a duration
# that runs to now makes the "history" the course of a current problem (39 dev notes), not a
# past one. "History of stroke in 2005" stays past.
HISTORY_OF_BEFORE = re.compile(r"\bhistory of\b[^.;:]{0,60}$", re.IGNORECASE)
DURATION_AFTER = re.compile(
    r"[ \t]*,?[ \t]*(?:(?:on and off|off and on|intermittently)[ \t]+)?for[ \t]+(?:the[ \t]+)?"
    r"(?:past[ \t]+|last[ \t]+)?(?:approximately[ \t]+|about[ \t]+|over[ \t]+)?"
    r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|several|many|a few|a couple of)"
    r"[ \t]+(?:days?|weeks?|months?|years?)\b", re.IGNORECASE)


# ... unless the sentence says it ended: "a history of smoking for 20 years, quit in 2005".
ENDED_AFTER = re.compile(r"\b(?:quit|stopped|until|ended|resolved|prior to|before)\b",
                         re.IGNORECASE)


# "She discontinued this medication due to skin rash as well as hives. Since then, this had
# resolved.": the next sentence ends what this one names (17 dev notes say so); the hives
# were a presenting symptom and put anaphylaxis on the differential.
RESOLVED_NEXT = re.compile(
    r"[\s,.;]*(?:since then,?\s+|however,?\s+|fortunately,?\s+)?"
    r"(?:this|these|it|they|both|all of these|all of this)\s+(?:has|had|have)\s+"
    r"(?:since\s+|now\s+|completely\s+|subsequently\s+|all\s+)?"
    r"(?:resolved|healed|subsided|cleared|gone away)\b", re.IGNORECASE)


LAST_CLAUSE_BREAK = re.compile(r"[,;:]|\bbut\b", re.IGNORECASE)


def resolved_in_next_sentence(text: str, concept_end: int, sentence_end: int) -> bool:
    """Whether the sentence after one ending at ``sentence_end`` opens by saying that what its
    last clause named has resolved: "... stopped the Macrodantin due to hives. This has
    resolved." ends the hives, not the urinary infection an earlier clause named."""
    return (LAST_CLAUSE_BREAK.search(text, concept_end, sentence_end) is None
            and RESOLVED_NEXT.match(text, sentence_end) is not None)


def history_runs_to_now(sentence: str, start: int, end: int) -> bool:
    """Whether the concept at ``[start, end)`` of ``sentence`` follows "history of" and is
    followed by a duration ("for 13 years") that the sentence does not end."""
    duration = DURATION_AFTER.match(sentence, end)
    return bool(HISTORY_OF_BEFORE.search(sentence[:start]) and duration
                and not ENDED_AFTER.search(sentence, duration.end(), duration.end() + 40))
