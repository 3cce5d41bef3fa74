"""Concept extraction with medspaCy's TargetMatcher from the term and measurement files.

Problems/symptoms/findings come from ICD-10-CM-derived terms plus the curated common list
(curated entries win on clashes); medications and procedures from curated lists; vitals
and labs from regular expressions whose named groups give ``value`` and ``unit``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache

from medspacy.target_matcher import TargetRule
from spacy.language import Language
from spacy.tokens import Span

from desktop.core.analysis.notes.concepts.regex_matching import read_text_once
from desktop.core.analysis.notes.concepts.site_terms import SITE_TABLE, TABLES, named_site
from desktop.core.analysis.notes.concepts.site_terms import site_rules as site_rules_of
from desktop.core.analysis.notes.concepts.spine_terms import SPINE, spine_condition_of, spine_rules
from desktop.core.analysis.notes.context.allergy import ALLERGIC_CONDITION, ALLERGY_STATED
from desktop.core.analysis.notes.rule_files import nlp_resources_dir, read_table

# "Penicillin allergy", "sulfa-allergic", "codeine intolerance": the drug is the allergen.
ALLERGY_AFTER = re.compile(r"\s*-?\s*(?:allerg(?:y|ies|ic)\b|intoleran)", re.IGNORECASE)
# Words that say a drug treats the allergy, so it is taken, not an allergen: "allergies, for
# which she takes Claritin", "allergic to sulfa; takes Claritin". Not a bare "taking" or
# "on": "hives after taking amoxicillin", "a rash on penicillin" describe the allergy; "was
# placed on" is: "concerned about a possible allergic reaction and was placed on codeine".
TAKEN = re.compile(r"\b(?:for (?:which|this|these|that|it|them)|treated with|controlled with|"
                   r"managed with|(?:he|she|they|patient|who) (?:takes|uses|is on|is taking|"
                   r"continues)|(?:was|were|is|been) (?:placed|started|put) on)\b"
                   r"|[,;]\s*(?:and\s+)?(?:takes|uses|is on|is taking|continues)\b",
                   re.IGNORECASE)
# Right after an allergic condition, its treatment: "seasonal allergies, on Zyrtec (and
# Flonase)", "environmental allergies, taking loratadine". Anything more between the two
# ("seasonal allergies with hives on penicillin") may describe an allergy.
TAKEN_FOR_CONDITION = re.compile(r"^[\s,(-]*(?:and\s+)?(?:(?:he|she|they|patient)\s+)?(?:is\s+)?"
                                 r"(?:on|takes|taking|uses|using)\s+(?:[\w-]+\s+(?:and|or)\s+)?$",
                                 re.IGNORECASE)
CODED_CATEGORIES = ("problem", "symptom", "finding")
# A word that names an allergen only when an allergy is stated ("sulfa", "latex", "shellfish"):
# an allergy then, else no concept at all.
ALLERGEN = "allergen"
# A prefix makes the word after it another condition: "non-alcoholic fatty liver" is no
# alcoholic one (K70.0), "pre-diabetes" no diabetes, "pseudo-gout" no gout, "non smoker" no
# smoker; "post-stroke weakness" speaks of a stroke that is past.
WORD_PREFIX = re.compile(
    r"\b(non|pre|pseudo)\s?[-\u2010\u2011\u2013]?\s?$|\b(post)[-\u2010\u2011]$", re.IGNORECASE)
OTHER_CONDITION = ("non", "pre", "pseudo")  # prefixes that make a term another condition


def word_prefix(text: str, start: int) -> str | None:
    """"non", "pre", "pseudo" or "post" when the word at ``start`` carries that prefix: a term
    matched there names another condition, or (post) a past one. Notes write the real prefixed
    terms whole, and the term lists hold them ("non-Hodgkin lymphoma", "pre-eclampsia",
    "post-traumatic stress disorder")."""
    match = WORD_PREFIX.search(text[max(0, start - 8):start])
    return None if match is None else (match.group(1) or match.group(2)).lower()


# A condition named before these is a test for it or a service for it, no condition of the
# patient: "Colon cancer screening" (26 dev mentions), "a cancer specialist", "stroke center".
SERVICE_WORDS = frozenset({"screening", "screenings", "screen", "specialist", "specialists",
                           "center", "centre", "centers", "institute", "society", "foundation",
                           "clinic", "unit"})


def after_excluded_word(span: Span) -> bool:
    """True when a term follows a word that makes it something else: "HEARING AIDS" is a
    device, not AIDS; lidocaine "used to infiltrate the skin" is no lung infiltrate; or
    comes before words that do: "depression of the nasal bone" is no mood disorder, "colon
    cancer screening" no cancer."""
    rule = span._.target_rule
    metadata = (rule.metadata or {}) if rule is not None else {}
    excluded = metadata.get("not_after")
    if excluded and span.start > 0 and span.doc[span.start - 1].lower_ in excluded:
        return True
    following = " ".join(t.lower_ for t in span.doc[span.end:span.end + 3] if not t.is_space)
    if span.label_ in CODED_CATEGORIES and following.split(" ", 1)[0] in SERVICE_WORDS:
        return True
    return any(following == words or following.startswith(words + " ")
               for words in metadata.get("not_before") or ())


def plural(term: str) -> str | None:
    """The plural of a term's last word: English ("rash" -> "rashes", "nodule" -> "nodules",
    "artery" -> "arteries") or the Latin of medicine ("pulmonary embolus" -> "emboli",
    "stenosis" -> "stenoses"); None when it already looks plural or is not a word.

    Notes say "no rashes", "fevers", "bilateral pulmonary emboli"; the term lists name the
    singular.
    """
    if not re.search(r"[a-z]{3}$", term) or term.endswith(("ae", "i")):
        return None
    if term.endswith("sis"):
        return term[:-3] + "ses"
    if term.endswith("us") and not term.endswith("ous"):
        return term[:-2] + "i"
    if term.endswith("ss"):
        return term + "es"
    if term.endswith("s"):
        return None
    if term.endswith(("x", "z", "ch", "sh")):
        return term + "es"
    if term.endswith("y") and term[-2] not in "aeiou":
        return term[:-1] + "ies"
    return term + "s"


@lru_cache(maxsize=1)
def _measurement_patterns() -> dict[str, re.Pattern[str]]:
    data = json.loads((nlp_resources_dir() / "measurement_rules.json").read_text("utf-8"))
    rules = data["measurement_rules"]
    return {r["literal"]: re.compile(r["pattern"], re.IGNORECASE) for r in rules}


def build_target_rules() -> list[TargetRule]:
    base = nlp_resources_dir() / "terms"
    by_term: dict[str, TargetRule] = {}
    # A term's plural, its "of the" form ("coarctation of aorta": notes write "coarctation of
    # the aorta"), its form without hyphens and a pain's "discomfort"; a listed term wins over
    # another's variant.
    variants: dict[str, TargetRule] = {}

    def put(term: str, category: str, codes: list[str], not_after: Sequence[str] = (),
            not_before: Sequence[str] = ()) -> None:
        term = term.lower()
        excluded = {"not_after": list(not_after), "not_before": list(not_before)}
        by_term[term] = TargetRule(term, category, metadata={"codes": codes, "term": term,
                                                             **excluded})
        if category not in CODED_CATEGORIES:
            return
        forms = [plural(term)]
        if " of " in term and " of the " not in term:
            forms.append(term.replace(" of ", " of the ", 1))
        if "-" in term:  # "gastro-esophageal reflux disease": notes write "gastroesophageal"
            forms.append(term.replace("-", ""))
        if "'" in term:  # "Alzheimer’s disease": a typeset apostrophe
            forms.append(term.replace("'", "’"))
        if term.endswith(" pain"):  # "right upper quadrant discomfort" is its pain
            forms.append(term[:-4] + "discomfort")
        for form in filter(None, forms):
            variants[form] = TargetRule(form, category, metadata={
                "codes": codes, "term": term, **excluded})

    for term, codes, category in read_table(base / "icd10cm_terms.tsv"):
        put(term, category, codes.split("|"))
    for name in read_table(base / "procedures.txt"):
        put(name[0], "procedure", [])
    for name in read_table(base / "medications.txt"):
        put(name[0], "medication", [])
    for name, _code, match in read_table(base / "allergens.tsv"):
        if match == "term":
            put(name, ALLERGEN, [])
    for term, category, codes, *excluded in read_table(base / "common_clinical_terms.tsv"):
        not_after, not_before = [*excluded, "", ""][:2]
        put(term, category, [c for c in codes.split("|") if c],
            [w for w in not_after.split("|") if w], [w for w in not_before.split("|") if w])
    # A listed plural of a listed term is that term's variant ("myelodysplastic syndromes",
    # an ICD-10-CM category, beside "myelodysplastic syndrome"): one problem, one term.
    for term in [t for t in by_term if variants.get(plural(t) or "") is not None]:
        by_term.pop(plural(term), None)
    cased = [
        TargetRule(term, category, pattern=[{"TEXT": word} for word in term.split()],
                   metadata={"codes": codes.split("|"), "term": term.lower(),
                             "not_after": not_after.split("|")})
        for term, category, codes, not_after in read_table(base / "case_sensitive_terms.tsv")
    ]
    site_rules = []
    for site, many, code, *named in read_table(base / "pain_sites.tsv"):
        term = named[0] if named else f"{site} pain"
        if term not in by_term:
            put(term, "symptom", [code])
        site_rules.append(TargetRule(f"pain in {site}", "symptom", pattern=_pain_in(site, many),
                                     metadata={"codes": [code], "term": term}))
    tables = [rule for table in TABLES.values() for rule in site_rules_of(table)]
    tables += spine_rules()
    for rule in tables:  # a table's phrase wins: "colles' fracture" is S52.539A there
        by_term.pop(rule.literal, None)
        variants.pop(rule.literal, None)
    site_rules += tables
    rules = [*by_term.values(), *(r for t, r in variants.items() if t not in by_term),
             *site_rules, *cased]
    for literal, pattern in _measurement_patterns().items():
        data_category = "vital" if _is_vital(literal) else "lab"
        rules.append(TargetRule(literal, data_category, pattern=pattern.pattern,
                                metadata={"codes": [], "term": literal}))
    return rules


PAIN_WORDS = ["pain", "pains", "ache", "aches", "aching", "discomfort", "soreness"]
ALONG_WITH_PAIN = [*PAIN_WORDS, "swelling", "stiffness", "tenderness", "numbness"]


def _pain_in(site: str, many: str) -> list[dict]:
    """Token pattern for "pain (and swelling) in the [left] <site(s)>": notes name the site
    after the pain as often as before it ("knee pain")."""
    *first, last = site.split()
    return [{"LOWER": {"IN": PAIN_WORDS}},
            {"LOWER": {"IN": ["and", "or"]}, "OP": "?"},
            {"LOWER": {"IN": ALONG_WITH_PAIN}, "OP": "?"},
            {"LOWER": {"IN": ["in", "of", "over", "around"]}},
            {"LOWER": {"IN": ["the", "his", "her", "their", "both", "my"]}, "OP": "?"},
            {"LOWER": {"IN": ["left", "right", "bilateral"]}, "OP": "?"},
            *({"LOWER": word} for word in first),
            {"LOWER": {"IN": [last, many.split()[-1]] if many else [last]}}]


@lru_cache(maxsize=1)
def _vital_literals() -> frozenset[str]:
    data = json.loads((nlp_resources_dir() / "measurement_rules.json").read_text("utf-8"))
    return frozenset(r["literal"] for r in data["measurement_rules"] if r["category"] == "vital")


def _is_vital(literal: str) -> bool:
    return literal in _vital_literals()


SPAN_GROUP = "medspacy_spans"


def add_target_matcher(nlp: Language) -> None:
    # A span group, not doc.ents: adding ents one by one is quadratic on long notes.
    matcher = nlp.add_pipe("medspacy_target_matcher",
                           config={"result_type": "group", "span_group_name": SPAN_GROUP})
    # MedspacyMatcher runs the whole pipeline on every phrase it adds; with no other pipes
    # enabled that is just the tokenizer, which keeps start-up to a few seconds.
    with nlp.select_pipes(disable=nlp.pipe_names):
        matcher.add(build_target_rules())
    read_text_once(matcher)


def measurement_of(span: Span) -> tuple[str | None, str | None]:
    """``(value, unit)`` of a vital or lab span, from its rule's named groups."""
    rule = span._.target_rule
    pattern = _measurement_patterns().get(rule.literal) if rule is not None else None
    if pattern is None:
        return None, None
    match = pattern.search(span.text)
    if not match:
        return None, None
    unit = match.groupdict().get("unit")
    return re.sub(r"\s+", "", match.group("value")), (unit.strip() if unit else None)


# A rule naming two results at once, hemoglobin first as notes write it ("H&H 12 and 36").
PAIRED_RESULTS = {"hemoglobin and hematocrit": ("hemoglobin", "hematocrit")}


def paired_results(span: Span) -> list[tuple[str, str, int]]:
    """``(term, value, end)`` of each result of a pair span, ``end`` a character offset into
    the note: the first result's evidence ends at its value, the second's is the whole pair."""
    rule = span._.target_rule
    terms = PAIRED_RESULTS.get(rule.literal) if rule is not None else None
    match = _measurement_patterns()[rule.literal].search(span.text) if terms else None
    if terms is None or match is None:
        return []
    return [(terms[0], match.group("value"), span.start_char + match.end("value")),
            (terms[1], match.group("paired"), span.start_char + match.end("paired"))]


def category_of(span: Span, section: str) -> str:
    """A medication or allergen named in the allergy section, after "allergic to" or before
    "allergy" is an allergy, unless the words since the allergy say it is taken ("seasonal
    allergies, for which he takes Claritin"; "seasonal allergies, on Zyrtec")."""
    category = span.label_
    if category in ("medication", ALLERGEN):
        before = span.sent.text[: span.start_char - span.sent.start_char]
        after = span.sent.text[span.end_char - span.sent.start_char:]
        if ALLERGY_AFTER.match(after):
            return "allergy"
        cues = list(ALLERGY_STATED.finditer(before))
        since = before[cues[-1].end():] if cues else before
        treats_condition = (cues and ALLERGIC_CONDITION.search(before[:cues[-1].start()])
                            and TAKEN_FOR_CONDITION.match(since))
        if (section == "allergies" or cues) and not (TAKEN.search(since) or treats_condition):
            return "allergy"
    return category


def rule_metadata(span: Span) -> tuple[str, tuple[str, ...]]:
    rule = span._.target_rule
    meta = (rule.metadata or {}) if rule is not None else {}
    named = (named_site(span, meta[SITE_TABLE]) if meta.get(SITE_TABLE)
             else spine_condition_of(span) if meta.get(SPINE) else None)
    if named is not None:
        return named[0], (named[1],)
    return str(meta.get("term", span.text.lower())), tuple(meta.get("codes", ()))
