"""``run_diagnoses``: problem list, ICD-10-CM codes and a differential for one stored note.

Stores one analysis of kind "diagnoses" in the shared result shape; every item carries
the note spans that support it (offsets into the stored note text).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from desktop.core.analysis.coding import CodeSuggestion, IcdCoder
from desktop.core.analysis.coding.allergy_status import allergy_statuses
from desktop.core.analysis.coding.icd_table import (
    description,
    neoplasm_behaviour,
    past_condition_code,
    personal_history_code,
    preferred_leaf,
)
from desktop.core.analysis.coding.note_agreement import (
    contradicts_the_code,
    names_the_code,
    says_as_much,
    side_variants,
    term_names,
)
from desktop.core.analysis.differential import (
    DifferentialItem,
    age_mismatch_notice,
    child_notice,
    differential,
)
from desktop.core.analysis.notes import Concept, NoteAnalysis, analyse_note, rules_provenance
from desktop.core.analysis.notes.problem_names import (
    general_form_of,
    names_generally,
    problem_key,
    problem_name,
)
from desktop.core.analysis.patient_sex import (
    for_other_sex,
    patient_sex,
    sex_mismatch_notice,
)
from desktop.core.errors import NotAvailableError
from desktop.core.provenance import NoteSpan, Provenance
from desktop.core.tasks import CancelToken, ProgressFn, no_progress
from desktop.core.vault.records import Note

log = logging.getLogger(__name__)

KIND = "diagnoses"
NOTICE = "Suggestions only — confirm clinically"
MAX_CODES = 15
# Below this learned probability a code is noise, not a suggestion: "Clear urine" gave
# "C64.9 Malignant neoplasm of kidney" at 0.4 % through a phrase that co-occurs with it
# (clear cell carcinoma). In CodiEsp train cases 88 % of the top 15 codes pass it.
MIN_CODE_SCORE = 0.05
# A code whose evidence does not name it ("R50.9 Fever" from "urine", a word that co-occurs
# with fever in coded cases) is listed only from this probability on, and then flagged for
# checking. On 24 MTSamples notes a third of the listed codes were such, most under 0.15.
MIN_UNNAMED_SCORE = 0.25
UNNAMED_NOTE = (" The note's words do not name this condition: the code comes from similar "
                "coded cases. Check it against the note before accepting.")
PROBLEM_ASSERTIONS = ("present", "historical", "possible")
ASSERTION_WORDS = {"present": "current", "historical": "past history", "possible": "possible"}
# Sections that say what the visit is about; a headerless note is all "preamble". A
# procedure's indications are its reason ("INDICATIONS: Sinus bradycardia, sick-sinus
# syndrome" of a pacemaker lead revision listed no symptom).
PRESENTING_SECTIONS = ("preamble", "chief_complaint", "history_of_present_illness",
                       "assessment", "assessment_plan", "diagnoses", "indications")
# Sections that give the reason for the visit or the procedure.
REASON_SECTIONS = ("chief_complaint", "indications")
# Sections where the clinician states the diagnoses (pre- and postoperative, impression).
STATED_SECTIONS = ("diagnoses", "assessment", "assessment_plan")


def _span(note_id: int | None, concept: Concept) -> dict[str, Any]:
    return NoteSpan(note_id, concept.start, concept.end, concept.text).to_dict()


def _presenting(concept: Concept) -> bool:
    return concept.section in PRESENTING_SECTIONS


def _now_first(group: tuple[str, list[Concept]]) -> int:
    """What the visit is about first: current problems of the complaint, its history or the
    assessment, then presenting symptoms, other current problems (a smoker's social history)
    and last past or possible ones."""
    key, mentions = group
    if key.startswith(("symptom:", "finding:")):
        return 1
    current = [c for c in mentions if c.assertion == "present"]
    if any(_presenting(c) for c in current):
        return 0
    return 2 if current else 3


def _problem_label(concept: Concept) -> str:
    """The problem's name, with the note's own words when they differ ("Tobacco use
    (“smokes”)"); else the note's words."""
    name = problem_name(concept)
    if name is None:
        return concept.text[:1].upper() + concept.text[1:]
    return name if name.lower() == concept.text.lower() else f"{name} (\u201c{concept.text}\u201d)"


def problem_items(analysis: NoteAnalysis, note_id: int | None) -> list[dict[str, Any]]:
    """One item per distinct problem (present, past or possible) and per symptom the visit is
    about (current, in the complaint, its history or the assessment: the consult's "pain and
    discomfort in the left upper arm") or finding its diagnoses name (a "Right renal mass"),
    all mentions as evidence."""
    grouped: dict[str, list[Concept]] = {}
    for concept in analysis.concepts_of("problem", assertions=PROBLEM_ASSERTIONS):
        grouped.setdefault(problem_key(concept), []).append(concept)
    presenting = [c for c in analysis.concepts_of("symptom", assertions=("present",))
                  if _presenting(c)]
    for concept in presenting:
        grouped.setdefault(f"symptom:{problem_key(concept)}", []).append(concept)
    # a finding the diagnoses or assessment name: a nephrectomy's "Right renal mass"
    for concept in analysis.concepts_of("finding", assertions=("present",)):
        if concept.section in STATED_SECTIONS:
            grouped.setdefault(f"finding:{problem_key(concept)}", []).append(concept)
    _merge_general_forms(grouped)
    items = []
    for key, mentions in sorted(grouped.items(), key=_now_first):
        first = mentions[0]
        assertions = sorted({ASSERTION_WORDS[c.assertion] for c in mentions})
        sections = sorted({c.section.replace("_", " ") for c in mentions})
        status = ", ".join(assertions)
        if key.startswith("symptom:"):
            status = f"Presenting symptom; {status}"
        elif key.startswith("finding:"):
            status = f"Finding the note states as a diagnosis; {status}"
        else:
            status = status.capitalize()
        items.append({
            "label": _problem_label(first),
            "detail": f"{status}; mentioned in {', '.join(sections)}.",
            "category": "problem",
            "score": None,
            "supported": True,
            "evidence": [_span(note_id, c) for c in mentions],
        })
    return items


def _merge_general_forms(grouped: dict[str, list[Concept]]) -> None:
    """A problem or symptom named generally beside the one specific form of it the note also
    names is that one (``names_generally``): an operative note's bare "fracture" ("the fracture
    site") beside the "talus fracture" it fixes, a child's "cough" beside her "dry cough",
    "Hepatitis" beside "Hepatitis C"."""
    def kind(key: str) -> str:
        return key.partition(":")[0] if ":" in key else ""

    for key in list(grouped):
        if key not in grouped:
            continue
        others = [other for other in grouped if other != key and kind(other) == kind(key)]
        wider = general_form_of(grouped[key][0], [grouped[other][0] for other in others])
        if wider is not None:
            grouped[others[wider]].extend(grouped.pop(key))


SOURCE_WORDS = {"lexical": "term list", "embedding": "similar ICD description",
                "sentence": "whole-sentence similarity",
                "example": "similar sentence in a coded case",
                "phrase": "a phrase that predicts the code in coded cases",
                "sibling": "a code often given in the same category"}


def _shown_anyway(suggestion: CodeSuggestion) -> bool:
    """A code a term of the note names ("hip pain" -> M25.55-) is listed whatever its learned
    probability, which only says how often CodiEsp coders gave it."""
    return suggestion.score >= MIN_CODE_SCORE or "lexical" in suggestion.sources


def _named(suggestion: CodeSuggestion) -> bool:
    return "lexical" in suggestion.sources or names_the_code(suggestion.code,
                                                             suggestion.concepts)


def _unnamed_and_weak(suggestion: CodeSuggestion) -> bool:
    """Not named, and weak or named the other way by all its evidence: "R10.31 Right lower
    quadrant pain" for "Right upper quadrant pain" (0.33) is no suggestion at all."""
    return not _named(suggestion) and (suggestion.score < MIN_UNNAMED_SCORE or (
        bool(suggestion.concepts) and all(contradicts_the_code(suggestion.code, c.text)
                                          for c in suggestion.concepts)))


def _listable(suggestions: list[CodeSuggestion]) -> tuple[list[CodeSuggestion], int]:
    """Codes worth listing, best first, without a broader or finer form of a better one
    ("R51.9 Headache, unspecified" under "R51 Headache") or an unspecified form of a listed
    code ("M25.50 Pain in unspecified joint" beside "M25.562 Pain in left knee"); and how
    many were such forms."""
    kept: list[CodeSuggestion] = []
    other_level = 0
    for s in suggestions:
        if not _shown_anyway(s) or _unnamed_and_weak(s):
            continue
        if any(s.code.startswith(k.code) or k.code.startswith(s.code) for k in kept):
            other_level += 1
            continue
        kept.append(s)
    listed = [k for k in kept
              if not _specified_form_listed(k, kept) and not _general_form_listed(k, kept)
              and not _other_behaviour_listed(k, kept) and not _other_kind_listed(k, kept)]
    return listed, other_level + len(kept) - len(listed)


def _general_form_listed(suggestion: CodeSuggestion, kept: list[CodeSuggestion]) -> bool:
    """A code whose every term naming it names a listed code's term generally
    (``names_generally``): a site table's "T14.8XXA" for the operative note's "the fracture
    site" beside the "talus fracture" it fixes; "K75.9" for a past "Hepatitis" beside
    "Hepatitis C"; "N19" for "renal failure" beside "acute renal failure"."""
    others = [c for k in kept if k is not suggestion for c in _naming(k)]
    # a term another listed code is the term code of, and not this one, is that code's:
    # "gross hematuria" (R31.0) among R31.9's evidence beside "hematuria"
    own = [c for c in _naming(suggestion) if term_names(suggestion.code, c) or not any(
        term_names(k.code, c) for k in kept if k is not suggestion)]
    return bool(own) and all(any(names_generally(c, o) for o in others) for c in own)


def _other_behaviour_listed(suggestion: CodeSuggestion, kept: list[CodeSuggestion]) -> bool:
    """A neoplasm code of another behaviour than the listed code a term of the note gives the
    same words: "D24.2 Benign neoplasm of left breast", "C79.81 Secondary malignant neoplasm
    of breast" or "Z85.3 Personal history of ..." beside "C50.912" for "carcinoma of the
    left breast" (similar descriptions, not what the note says). A past cancer's Z85 code
    stays, as does a secondary one whose evidence says "metastatic"."""
    behaviour = neoplasm_behaviour(suggestion.code)
    if behaviour is None or "lexical" in suggestion.sources:
        return False
    stated = [c for k in kept if "lexical" in k.sources for c in _naming(k)
              if neoplasm_behaviour(k.code) not in (None, behaviour)]
    # the terms it is for, else its phrases and sentences ("axillary" beside "breast cancer"
    # names no neoplasm of its own)
    spans = ([c for c in suggestion.concepts if isinstance(c, Concept)]
             or suggestion.concepts)
    overlapping = [[o for o in stated if c.start < o.end and o.start < c.end] for c in spans]
    if not all(overlapping):
        return False
    concepts = [o for group in overlapping for o in group]
    if behaviour == "history" and any(o.assertion == "historical" for o in concepts):
        return False
    return not (behaviour == "secondary"
                and any("metasta" in c.text.lower() for c in suggestion.concepts))


def _other_kind_listed(suggestion: CodeSuggestion, kept: list[CodeSuggestion]) -> bool:
    """An "Other ..." code no term of the note names, for the same words as a code a term
    names: "E13.9 Other specified diabetes mellitus" beside E11.9 for "Diabetes" (MTSamples
    3809, 1432), "H26.8 Other specified cataract" beside H25.11 for "Nuclear sclerotic
    cataract" (2408), "K64.8 Other hemorrhoids" beside K64.4 for "external hemorrhoids"
    (3308). "Other" is a kind the note did not give."""
    if not suggestion.description.lower().startswith("other ") or any(
            term_names(suggestion.code, c) for c in suggestion.concepts):
        return False
    return any(k is not suggestion and "lexical" in k.sources and _same_words(suggestion, k)
               and any(term_names(k.code, c) for c in k.concepts) for k in kept)


def _naming(suggestion: CodeSuggestion) -> list[Concept]:
    """The suggestion's concepts whose terms name its code's category."""
    return [c for c in suggestion.concepts if isinstance(c, Concept)
            and any(code[:3] == suggestion.code[:3] for code in c.codes)]


def _unspecified(suggestion: CodeSuggestion) -> bool:
    return "unspecified" in suggestion.description.lower()


def _specified_form_listed(suggestion: CodeSuggestion, kept: list[CodeSuggestion]) -> bool:
    """An unspecified code no term of the note names, for the same words as a named, specified
    code of its parent or one whose description says more: "M25.50 Pain in unspecified
    joint" (from codes often given together) beside "M25.562 Pain in left knee", both for
    "knee pain"; "D64.9 Anemia, unspecified" beside "D50.9 Iron deficiency anemia,
    unspecified". Not a code a term names ("R11.2 Nausea with vomiting, unspecified",
    "F41.9 Anxiety disorder, unspecified"), nor one of another parent (S83.289A, lateral
    meniscus, beside S83.242A, medial). A 7th character (the encounter) is no level of its
    own, and a category (I38) has no parent to share."""
    if not _unspecified(suggestion) or "lexical" in suggestion.sources:
        return False
    code = suggestion.code
    parent = (code[:7] if len(code) == 8 else code)[:-1]
    for k in kept:
        # a sided form for the same words, however found: "M25.561 Pain in right knee" beside
        # M25.569, both from "His right knee does pain him"
        sided = k.code != code and k.code in side_variants(code).values()
        if k.code == code or ("lexical" not in k.sources and not sided) or not _same_words(
                suggestion, k):
            continue
        if sided:
            return True
        if "." in parent and k.code.startswith(parent) and not _unspecified(k):
            return True
        if says_as_much(k.code, code) and (not _unspecified(k)
                                           or not says_as_much(code, k.code)):
            return True
    return False


def _same_words(suggestion: CodeSuggestion, other: CodeSuggestion) -> bool:
    """Every term or phrase of ``suggestion`` (every span, if it has only similar sentences)
    overlaps a span of ``other``'s."""
    spans = [c for c in suggestion.concepts if getattr(c, "category", "") != "sentence"]
    return all(any(c.start < o.end and o.start < c.end for o in other.concepts)
               for c in spans or suggestion.concepts)


def _given_in(suggestion: CodeSuggestion, sections: tuple[str, ...]) -> bool:
    """The term of a current concept in one of ``sections`` gives the code (at most at
    another side or level): not "K57.00 Diverticulitis of small intestine with perforation
    and abscess", which a similar description found for "diverticulitis"."""
    return any(getattr(c, "section", "") in sections and c.assertion == "present"
               and term_names(suggestion.code, c)
               and not contradicts_the_code(suggestion.code, c.text)
               for c in suggestion.concepts)


def _stated(suggestion: CodeSuggestion) -> bool:
    """A diagnosis the note's diagnoses or assessment state."""
    return _given_in(suggestion, STATED_SECTIONS)


def shown_codes(suggestions: list[CodeSuggestion]) -> list[CodeSuggestion]:
    """The listed codes: those of the diagnoses the note states first (the learned probability
    only says how often CodiEsp coders gave a code: an arthroscopy's "Medial meniscal tear"
    came at 0.12 below the "knee pain" it explains), then the other codes the note names,
    then the flagged ones, each best first; the first ``MAX_CODES`` of them, so a stated
    diagnosis is never cut for a more often coded one."""
    listed = _listable(suggestions)[0]
    return sorted(listed, key=lambda s: (not _named(s), not _stated(s), not _the_reason(s))
                  )[:MAX_CODES]


def _the_reason(suggestion: CodeSuggestion) -> bool:
    """What the reason for the visit or procedure names: a consult's "REASON FOR
    CONSULTATION: Metastatic ovarian cancer." (MTSamples 3136) was cut from the top 15 by
    the codes of each symptom and past condition of its history."""
    return _given_in(suggestion, REASON_SECTIONS)


def codes_not_shown(suggestions: list[CodeSuggestion]) -> str | None:
    """What the code list leaves out, so a short list is not mistaken for everything."""
    weak = sum(not _shown_anyway(s) for s in suggestions)
    hidden = [s for s in suggestions if _shown_anyway(s) and _unnamed_and_weak(s)]
    other_way = sum(s.score >= MIN_UNNAMED_SCORE for s in hidden)  # only by contradiction
    unnamed = len(hidden) - other_way
    listable, other_level = _listable(suggestions)
    beyond = len(listable) - len(listable[:MAX_CODES])
    parts = []
    if weak:
        parts.append(f"{weak} weaker code suggestion{'s' * (weak != 1)} "
                     f"(learned probability under {MIN_CODE_SCORE:.0%})")
    if unnamed:
        parts.append(f"{unnamed} code{'s' * (unnamed != 1)} the note's words do not name "
                     f"(under {MIN_UNNAMED_SCORE:.0%})")
    if other_way:
        whose = "their" if other_way != 1 else "its"
        parts.append(f"{other_way} code{'s' * (other_way != 1)} all {whose} evidence names "
                     "the other way (left for right, upper for lower...)")
    if other_level:
        parts.append(f"{other_level} broader or finer form{'s' * (other_level != 1)} of a "
                     "listed code")
    if beyond:
        parts.append(f"{beyond} beyond the top {MAX_CODES}")
    if not parts:
        return None
    listed = f"{', '.join(parts[:-1])} and {parts[-1]}" if len(parts) > 1 else parts[0]
    return f"Not shown: {listed}."


def other_sex_notice(count: int, sex: str | None) -> str | None:
    if not count:
        return None
    return (f"Left out: {count} code{'s' * (count != 1)} for {'women' if sex == 'male' else 'men'}"
            f" only, as the patient is {sex}.")


def _one_per_span(concepts: list) -> list:
    seen: dict[tuple[int, int], Any] = {}
    for concept in concepts:
        seen.setdefault((concept.start, concept.end), concept)
    return list(seen.values())


def _evidence(suggestion: CodeSuggestion, named: bool) -> list:
    """The spans to show for a code, each once. For a code the note names, the spans that
    name it, if any do: "HEAD: Normal." found R51 Headache by similarity, "Gastroenteritis"
    reached "K21.9 Gastro-esophageal reflux disease" through a similar description, and
    neither is evidence of that condition; a span that names the opposite side or part
    ("Medial meniscal tear" for a lateral meniscus tear) never is. A mined phrase inside a
    shown term ("atrial" in "chronic atrial fibrillation") adds nothing."""
    spans = _one_per_span(suggestion.concepts)
    if not named:
        return spans
    code = suggestion.code
    kept = [c for c in spans if not contradicts_the_code(code, c.text)]
    naming = [c for c in kept if names_the_code(code, [c])]
    kept = naming or [c for c in kept if getattr(c, "category", "") != "sentence"]
    kept = [c for c in kept if not any(
        getattr(o, "category", "") != "sentence" and o.start <= c.start and c.end <= o.end
        and o.end - o.start > c.end - c.start for o in kept)]
    return kept or spans


def _category_hint(code: str) -> str:
    """CodiEsp coders often gave a category (R51, C50); a claim needs one of its codes."""
    leaf = preferred_leaf(code)
    if leaf == code:
        return ""
    return (f" {code} is a category: a billable code needs more detail"
            f" (e.g. {leaf} {description(leaf)}).")


def _past_cancer_hint(code: str, past: bool) -> str:
    """"History of uterine cancer" is Z85.42 once treated; C55 only while it is present."""
    if not past or code[:1] != "C" or code[1:3] > "96":
        return ""
    history = personal_history_code(code)
    named = f"{history} {description(history)}" if history else "Z85.-"
    return (" ICD-10-CM codes a cancer that was treated and is no longer present as personal "
            f"history ({named}), not with a C code.")


def _past_condition_hint(code: str, past: bool) -> str:
    """"History of myocardial infarction" is I25.2, "history of DVT" Z86.718: the acute code
    only while the condition is present (``terms/past_condition_codes.tsv``)."""
    history = past_condition_code(code) if past else None
    if history is None:
        return ""
    return (f" Once it is over, ICD-10-CM codes it as {history} {description(history)}, not "
            f"with {code}.")


def _past_tobacco_hint(code: str, past: bool) -> str:
    """"Quit smoking 10 years ago" is Z87.891 (ICD-10-CM index: History, personal, nicotine
    dependence); F17 only while the patient uses tobacco."""
    if not past or not code.startswith("F17"):
        return ""
    return (" ICD-10-CM codes tobacco use that has stopped as personal history (Z87.891 "
            f"{description('Z87.891')}), not with an F17 code.")


def code_items(suggestions: list[CodeSuggestion], note_id: int | None) -> list[dict[str, Any]]:
    items = []
    for sug in shown_codes(suggestions):
        is_named = _named(sug)
        evidence = _evidence(sug, is_named)
        named = [c for c in evidence if c.category != "sentence"]
        texts = sorted({c.text for c in named}, key=str.lower)
        past = bool(texts) and all(c.assertion == "historical" for c in named)
        if texts:
            quoted = ", ".join(f"\u201c{t}\u201d" for t in texts)
            what = f"For {quoted}{' (past history)' if past else ''}"
            if _stated(sug):
                what += ", a diagnosis the note states"
        else:
            what = "Suggested by the highlighted sentence"
        if sug.side_elsewhere:
            what += (f"; the {sug.side_elsewhere} side is the one the note names this site "
                     "with elsewhere")
        how = " and ".join(SOURCE_WORDS[s] for s in sorted(sug.sources))
        items.append({
            "label": f"{sug.code} {sug.description}",
            "detail": (f"{what}; matched by {how}.{_category_hint(sug.code)}"
                       f"{_past_cancer_hint(sug.code, past)}{_past_tobacco_hint(sug.code, past)}"
                       f"{_past_condition_hint(sug.code, past)}"
                       f"{'' if is_named else UNNAMED_NOTE}"),
            "category": "icd10",
            "code": sug.code,
            "score": sug.score,
            "supported": is_named,
            "evidence": [_span(note_id, c) for c in evidence],
        })
    return items


def allergy_items(analysis: NoteAnalysis, note_id: int | None,
                   listed: set[str]) -> list[dict[str, Any]]:
    """The allergy status code (Z88, Z91.0) of each allergy the note states, unless the
    ranked codes already list it."""
    items = []
    for status in allergy_statuses(analysis):
        if status.code in listed:
            continue
        texts = sorted({c.text for c in status.mentions}, key=str.lower)
        quoted = ", ".join(f"\u201c{t}\u201d" for t in texts)
        items.append({
            "label": f"{status.code} {description(status.code)}",
            "detail": (f"For the allergy to {quoted} the note states; the status code of the "
                       "allergen's class (allergy table). It records the allergy, not a "
                       "reaction now."),
            "category": "icd10",
            "code": status.code,
            "score": None,
            "supported": True,
            "evidence": [_span(note_id, c) for c in status.mentions],
        })
    return items


def differential_items(items: list[DifferentialItem], note_id: int | None) -> list[dict[str, Any]]:
    out = []
    for item in items:
        # One mention can be two findings ("arm pain" and its exertional form): one span.
        mentions = {(c.start, c.end): c for _, c in
                    item.findings_for + item.findings_against + item.not_counted}
        spans = [_span(note_id, c) for c in mentions.values()]
        out.append({
            "label": item.name,
            "detail": item.detail,
            "category": "differential",
            "code": item.icd10,
            "score": item.score,
            "supported": True,
            "findings_for": sorted({f for f, _ in item.findings_for}),
            "findings_against": sorted({f for f, _ in item.findings_against}),
            "cannot_miss": item.cannot_miss,
            "evidence": spans,
        })
    return out


def cannot_miss_notice(items: list[DifferentialItem]) -> str | None:
    dangerous = [i.name for i in items if i.cannot_miss]
    if not dangerous:
        return None
    return (f"Can't miss: {', '.join(dangerous)} — dangerous if missed; listed whatever the "
            "rank, to be ruled out.")


def coder_for(runtime) -> tuple[IcdCoder, str | None]:
    """The embedding coder, or the lexical one with a notice when no embedder is installed."""
    try:
        embedder = runtime.embedder()
    except NotAvailableError as exc:
        log.warning("Diagnoses without embeddings: %s", exc)
        return IcdCoder(), ("Codes come from the term index only: the sentence-embedding "
                            "model pack is not installed.")
    return IcdCoder(embedder, runtime.settings.data_dir / "cache"), None


def build_result(analysis: NoteAnalysis, coder: IcdCoder, *, note_id: int | None,
                 coder_notice: str | None = None, cancel: CancelToken | None = None,
                 record_age: float | None = None, record_sex: str | None = None
                 ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The stored result dict and the analysis-level evidence list for ``analysis``;
    ``record_age``: the patient's age on the note's date by the chart's birth date;
    ``record_sex``: the chart's sex. Codes and conditions of the other sex are left out."""
    sex = patient_sex(analysis.text, record_sex)
    suggested = coder.suggest(analysis, cancel=cancel)
    suggestions = [s for s in suggested if not for_other_sex(s.code, sex)]
    other_sex = sum(_shown_anyway(s) for s in suggested) - sum(
        _shown_anyway(s) for s in suggestions)
    conditions = [c for c in differential(analysis, record_age=record_age)
                  if not for_other_sex(c.icd10, sex)]
    codes = code_items(suggestions, note_id)
    items = (problem_items(analysis, note_id) + codes
             + allergy_items(analysis, note_id, {c["code"] for c in codes})
             + differential_items(conditions, note_id))
    evidence: list[dict[str, Any]] = []
    for item in items:
        for span in item["evidence"]:
            if span not in evidence:
                evidence.append(span)
    notice = " ".join(filter(None, (
        f"{NOTICE}.", age_mismatch_notice(analysis, record_age),
        sex_mismatch_notice(analysis.text, record_sex), coder_notice,
        codes_not_shown(suggestions), other_sex_notice(other_sex, sex),
        cannot_miss_notice(conditions),
        child_notice(analysis, record_age))))
    result = {
        "title": "Diagnoses",
        "notice": notice,
        "refusal": None,
        "items": items,
        "sections": [{"name": s.name, "start": s.start, "end": s.end} for s in analysis.sections],
        "excluded": _excluded(analysis, note_id),
    }
    return result, evidence


def provenance_for(coder: IcdCoder) -> Provenance:
    rules = rules_provenance()
    model = coder.provenance
    return Provenance(
        pack_id=model.pack_id if model else rules.pack_id,
        version=model.version if model else rules.version,
        checksum=model.checksum if model else rules.checksum,
        parameters={"rules": rules.to_dict(), "embedding": model.to_dict() if model else None},
    )


def age_on_note_date(vault, note: Note) -> float | None:
    """Years from the chart's birth date to the note's date (its own, else its encounter's,
    else when it was added); None without a usable birth date."""
    day = note.note_date
    if day is None and note.encounter_id is not None:
        day = next((e.date for e in vault.list_encounters(note.patient_id)
                    if e.id == note.encounter_id), None)
    try:
        born = date.fromisoformat(str(vault.get_patient(note.patient_id).birth_date)[:10])
        on = date.fromisoformat(str(day or note.created_at)[:10])
    except ValueError:
        return None
    return (on - born).days / 365.25 if on >= born else None


def run_diagnoses(vault, note_id: int, runtime, *, progress: ProgressFn | None = None,
                  cancel: CancelToken | None = None) -> int:
    """Analyse note ``note_id`` and store a "diagnoses" analysis; returns its id.

    Raises InputError for an empty note and Cancelled when ``cancel`` is set (nothing is
    stored then). Without the embedding pack, codes come from the term index alone.
    """
    progress = progress or no_progress
    cancel = cancel or CancelToken()
    progress(0.0, "Reading the note")
    note = vault.get_note(note_id)
    record_age = age_on_note_date(vault, note)
    record_sex = vault.get_patient(note.patient_id).sex
    analysis = analyse_note(note.text, note_id)
    cancel.raise_if_cancelled()
    progress(0.2, "Finding problems, symptoms and findings")
    coder, coder_notice = coder_for(runtime)
    coder.prepare(lambda f, m: progress(0.2 + 0.5 * f, m), cancel)
    cancel.raise_if_cancelled()
    progress(0.7, "Suggesting ICD-10-CM codes and a differential")
    result, evidence = build_result(analysis, coder, note_id=note_id,
                                    coder_notice=coder_notice, cancel=cancel,
                                    record_age=record_age, record_sex=record_sex)
    cancel.raise_if_cancelled()
    analysis_id = vault.add_analysis(
        KIND, patient_id=note.patient_id,
        inputs={"note_id": note_id, "note_sha256": note.sha256},
        provenance=provenance_for(coder).to_dict(),
        parameters={"max_codes": MAX_CODES,
                    "coder": "lexical" if coder.embedder is None else "lexical+embedding"},
        result=result, evidence=evidence,
    )
    progress(1.0, "Diagnoses ready")
    log.info("diagnoses analysis %s stored for note %s", analysis_id, note_id)
    return analysis_id


def _excluded(analysis: NoteAnalysis, note_id: int | None) -> list[dict[str, Any]]:
    """Problems deliberately not coded (negated, family, hypothetical), so the UI can say why."""
    return [
        {"text": c.text, "assertion": c.assertion, "evidence": _span(note_id, c)}
        for c in analysis.concepts_of("problem", "symptom", "finding")
        if c.assertion in ("negated", "family", "hypothetical")
    ]


def prepare_coding_index(runtime, *, progress: ProgressFn | None = None,
                         cancel: CancelToken | None = None) -> bool:
    """Build the ICD-10-CM embedding index now (installation time), not at the first visit.

    Returns False when no embedding pack is installed (diagnoses then use the term index).
    """
    coder, notice = coder_for(runtime)
    if notice is not None or coder.index is None:
        return False
    coder.prepare(progress, cancel)
    return True
