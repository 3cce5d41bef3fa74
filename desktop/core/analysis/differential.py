"""Differential diagnosis: conditions to consider, with the findings for and against each.

Findings come from a ``NoteAnalysis`` (present findings support, documented-absent ones
argue against); condition knowledge comes from ``resources/nlp/differential.json``.
Score = (weights found present - half the weights documented absent) / all weights of the
condition, times the condition's prevalence factor (an uncommon or rare condition needs more of
its picture than a common one to rank as high: chest pain alone is angina before aortic
dissection), so a condition with many characteristic findings present ranks first; one with only
supportive findings present (hypertension for aortic dissection) is not listed, nor is a
symptom the note says has lasted a year or more counted for a condition that presents over
hours to days ("headaches for the past 10 years": no meningitis). A symptom
whose sentence qualifies it is also the qualified finding: "arm pain ... when she walks" is
angina's exertional pain, chest pain "radiating to the jaw" is ACS-like. Recorded vital
signs outside adult limits are findings too (HR 118: tachycardia). A time-critical condition
("can't miss": aortic dissection, meningitis, bowel obstruction) that two findings or a
characteristic one point to is marked as such and kept on the list even when more likely
conditions fill it: the list answers both "what is it most likely to be?" and "what must not
be missed?".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache, wraps
from typing import TypeVar

from desktop.core.analysis.coding.icd_table import description
from desktop.core.analysis.notes import Concept, NoteAnalysis
from desktop.core.analysis.notes.rule_files import nlp_resources_dir
from desktop.core.errors import NotAvailableError

T = TypeVar("T")

AGAINST_FACTOR = 0.5
NAMED_BONUS = 0.5  # the note's own assessment names the condition
MIN_LEADING_WEIGHT = 2  # weights: 3 characteristic, 2 common, 1 supportive
MAX_CONDITIONS = 8
CANNOT_MISS_SUPPORT = 2  # findings for a can't-miss condition before it is marked as such
CHARACTERISTIC = 3  # the weight of a finding that tells a condition
EVIDENCE_CATEGORIES = ("problem", "symptom", "finding")


@dataclass(frozen=True)
class ConditionKnowledge:
    name: str
    icd10: str
    findings: dict[str, float]
    requires: frozenset[str] = frozenset()  # one must be present (hypertensive urgency: BP)
    adults_only: bool = False  # lung cancer, angina: not for a 2-month-old's cough
    prevalence: str = "common"
    prevalence_factor: float = 1.0
    cannot_miss: bool = False  # time-critical: missed for hours to days it kills or disables
    named_by: tuple[str, ...] = ()  # code prefixes that name it too: cellulitis at a site, L03
    # operations that took out its organ: no appendicitis after a past appendectomy
    removed_by: tuple[str, ...] = ()
    acute: bool = False  # presents over hours to days: no finding that has lasted years
    max_age: float | None = None  # bronchiolitis: only for a patient younger than this


# Readings outside these are mistyped or not the vital at all (spinal level T12, "pulse 8").
PLAUSIBLE = {"temperature": (30.0, 45.0), "heart rate": (20.0, 250.0),
             "respiratory rate": (4.0, 80.0), "oxygen saturation": (50.0, 100.0),
             "blood pressure": (20.0, 300.0)}


def _reading(concept: Concept, part: int) -> float | None:
    """Number ``part`` of a vital's value ("150/90"), temperatures in Celsius (values above
    45 are Fahrenheit); None unless it is a reading a living adult can have: "T12" in
    "fracture at T12" is a vertebra, not a temperature of 12."""
    try:
        value = float((concept.value or "").split("/")[part])
    except (ValueError, IndexError):
        return None
    if concept.term == "temperature" and (value > 45 or (concept.unit or "").lower()
                                          .rstrip().endswith(("f", "fahrenheit"))):
        value = (value - 32) * 5 / 9
    low, high = PLAUSIBLE.get(concept.term, (float("-inf"), float("inf")))
    return value if low <= value <= high else None


@dataclass(frozen=True)
class VitalRule:
    vital: str  # the measurement's term ("heart rate")
    finding: str
    at_least: float | None = None
    below: float | None = None
    part: int = 0  # which number of "150/90"
    adults_only: bool = False  # a child's normal heart rate is an adult's tachycardia

    def holds(self, value: float) -> bool:
        return ((self.at_least is None or value >= self.at_least)
                and (self.below is None or value < self.below))


@dataclass
class DifferentialItem:
    name: str
    icd10: str
    score: float
    findings_for: list[tuple[str, Concept]] = field(default_factory=list)
    findings_against: list[tuple[str, Concept]] = field(default_factory=list)
    named_in_note: bool = False
    prevalence: str = "common"
    cannot_miss: bool = False
    # findings the note says are long-standing (a year or more, chronic, residual): not
    # counted for an acute condition
    not_counted: list[tuple[str, Concept]] = field(default_factory=list)

    @property
    def detail(self) -> str:
        pro = ", ".join(sorted({f for f, _ in self.findings_for})) or "none"
        con = ", ".join(sorted({f for f, _ in self.findings_against})) or "none documented"
        # Why a condition that fits as well as another sits below it on the list.
        rarity = ("" if self.prevalence == "common" else
                  f" {self.prevalence.capitalize()} as a cause of these findings: ranked below a"
                  " common condition with as much support.")
        danger = (" Can't miss: dangerous if missed, whatever its rank; rule it out."
                  if self.cannot_miss else "")
        lasting = ", ".join(sorted({f for f, _ in self.not_counted}))
        uncounted = (f" Not counted, as the note says it is long-standing: {lasting}."
                     if lasting else "")
        return f"Findings for: {pro}. Findings against: {con}.{uncounted}{danger}{rarity}"


@dataclass(frozen=True)
class Qualifier:
    """Words in a symptom's sentence that make it a more telling finding ("when she walks":
    arm pain is angina's exertional pain; "radiating to the jaw": chest pain is ACS-like)."""

    cue: re.Pattern[str]
    findings: dict[str, str]  # canonical finding -> the qualified finding


def _knowledge_file() -> dict:
    return json.loads((nlp_resources_dir() / "differential.json").read_text(encoding="utf-8"))


def _readable(load: Callable[[], T]) -> Callable[[], T]:
    """A damaged or outdated knowledge file (a condition without its prevalence) is a
    message for IT, not an unexpected error."""
    @wraps(load)
    def loader() -> T:
        try:
            return load()
        except (OSError, KeyError, TypeError, ValueError, AttributeError, re.error) as exc:
            raise NotAvailableError(
                "The differential-diagnosis knowledge (resources/nlp/differential.json) is "
                "missing or damaged. Ask IT to reinstall ClinicDesk.") from exc
    return loader


@lru_cache(maxsize=1)
@_readable
def qualifiers() -> tuple[Qualifier, ...]:
    return tuple(Qualifier(re.compile(q["pattern"], re.IGNORECASE),
                           {k.lower(): v.lower() for k, v in q["findings"].items()})
                 for q in _knowledge_file()["qualifiers"])


# "not with exertion", "no relation to exercise", "unrelated to exertion", "no radiation":
# a denial up to two words before the cue is about the qualifier, not the symptom.
CUE_DENIED = re.compile(r"\b(?:no|not|never|without|unrelated)\s+(?:\w+\s+){0,2}$",
                        re.IGNORECASE)


def _said(sentence: str, cue: re.Pattern[str]) -> bool:
    return any(not CUE_DENIED.search(sentence[:m.start()]) for m in cue.finditer(sentence))


@lru_cache(maxsize=1)
@_readable
def knowledge() -> tuple[tuple[ConditionKnowledge, ...], dict[str, str]]:
    """Conditions and a synonym -> canonical finding map."""
    data = _knowledge_file()
    synonyms = {}
    for canonical, alts in data["synonyms"].items():
        for alt in alts:
            synonyms[alt.lower()] = canonical
    factors = data["prevalence_factors"]
    conditions = tuple(
        ConditionKnowledge(c["name"], c["icd10"], {k.lower(): float(v) for k, v in
                                                   c["findings"].items()},
                           frozenset(r.lower() for r in c.get("requires", ())),
                           bool(c.get("adults_only", False)),
                           c["prevalence"], float(factors[c["prevalence"]]),
                           bool(c.get("cannot_miss", False)),
                           tuple(c.get("named_by", ())),
                           tuple(w.lower() for w in c.get("removed_by", ())),
                           bool(c.get("acute", False)),
                           float(c["max_age"]) if "max_age" in c else None)
        for c in data["conditions"]
    )
    return conditions, synonyms


@lru_cache(maxsize=1)
@_readable
def long_standing_cues() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The phrases before and after a finding that say it has lasted a year or more."""
    rule = _knowledge_file()["long_standing"]
    return (re.compile(rule["before"], re.IGNORECASE), re.compile(rule["after"], re.IGNORECASE))


def long_standing(concept: Concept, analysis: NoteAnalysis) -> bool:
    """Whether the note says the finding has lasted a year or more: "headaches for the past 10
    years", "a 15-year history of low back pain", "longstanding numbness" (MTSamples 1237,
    1643: no aortic dissection, stroke or meningitis for them)."""
    before, after = long_standing_cues()
    first, _, rest = concept.text.partition(" ")
    if rest and before.fullmatch(first + " "):
        return True  # the term itself: "chronic cough"
    sentence = analysis.sentence_at(concept.start)
    start = sentence.start if sentence else max(0, concept.start - 200)
    end = sentence.end if sentence else concept.end + 200
    return bool(before.search(analysis.text[start:concept.start])
                or after.match(analysis.text[concept.end:end]))


@lru_cache(maxsize=1)
@_readable
def vital_rules() -> tuple[VitalRule, ...]:
    return tuple(VitalRule(**rule) for rule in _knowledge_file()["vitals"]["rules"])


ADULT_AGE = 18
# The patient's age as notes state it: "a 4-year-old boy", "18-month-old", "a 2-year, 2-month-old",
# "45 yo", "age: 45";
# not a relative's ("her 5-year-old son"), nor a newborn's "gestational age 34 weeks", nor
# when something happened ("diagnosed at age 14", "his sons, ages 5 and 17").
AGE_NOT_NOW = ("at", "by", "since", "from", "until", "before", "after", "gestational")
AGE = re.compile(
    r"(?<![\d/.])\b(?:(?:(\d{1,2})[- ](?:year|yr)s?,?\s+(?:and\s+)?)?"
    r"(\d{1,3}(?:\.\d)?)(-1/2| 1/2| and a half)?"
    r"[- ]?(year|yr|month|week|day)s?[- ]old"
    r"|(\d{1,3})\s*(?:yo|y/o|y\.o\.)"
    rf"|{''.join(f'(?<!{w} )' for w in AGE_NOT_NOW)}aged?\s*:?\s*(\d{{1,3}})"
    r"(?!\s*(?:weeks?|wks?)\b))\b"
    r"(?!\s+(?:son|daughter|brother|sister|child|grandson|granddaughter)\b)", re.IGNORECASE)
NEWBORN = re.compile(r"\b(?:newborn|neonate)\b", re.IGNORECASE)
# "The patient is a toddler admitted with a limp": no number, but no adult either.
LIFE_STAGE = re.compile(r"\b(?:is|was) an? (infant|toddler)\b", re.IGNORECASE)
LIFE_STAGE_YEARS = {"infant": 0.5, "toddler": 2.0}
YEARS_PER = {"year": 1.0, "yr": 1.0, "month": 1 / 12, "week": 1 / 52, "day": 1 / 365}


# "He has 2 sons, ages 5 and 17 years old": the ages of relatives just named.
RELATIVES_BEFORE = re.compile(r"\b(?:sons?|daughters?|child(?:ren)?|kids?|grand\w+|brothers?|"
                              r"sisters?|siblings?)\b[^.]{0,30}$", re.IGNORECASE)


def stated_age(text: str) -> float | None:
    """Years of the first age the note gives the patient; 0 for a newborn, about 2 for "a
    toddler"; None if none."""
    for match in AGE.finditer(text):
        if RELATIVES_BEFORE.search(text[max(0, match.start() - 40):match.start()]):
            continue
        if match.group(2):  # "a 5-1/2-year-old": five and a half, not two
            number = float(match.group(2)) + (0.5 if match.group(3) else 0)
            # "a 2-year, 2-month-old": two years and two months, not two months
            years = float(match.group(1)) if match.group(1) else 0.0
            return years + number * YEARS_PER[match.group(4).lower()]
        return float(match.group(5) or match.group(6))
    if NEWBORN.search(text):
        return 0.0
    stage = LIFE_STAGE.search(text)
    return LIFE_STAGE_YEARS[stage.group(1).lower()] if stage else None


AGE_MISMATCH_YEARS = 2  # notes round ages and may be dated a while after the visit


def patient_age(analysis: NoteAnalysis, record_age: float | None = None) -> float | None:
    """The age the chart's birth date gives on the note's date (checked at registration),
    else the age the note states."""
    return record_age if record_age is not None else stated_age(analysis.text)


def is_child(analysis: NoteAnalysis, record_age: float | None = None) -> bool:
    age = patient_age(analysis, record_age)
    return age is not None and age < ADULT_AGE


def _age_words(age: float) -> str:
    return (f"{int(age)} years" if age >= 2 else f"{round(age * 12)} months" if age >= 1 / 12
            else "under a month")


def child_notice(analysis: NoteAnalysis, record_age: float | None = None) -> str | None:
    """Says so when the differential reads a child's note differently, so a clinician does
    not wonder why a heart rate of 130 is not called tachycardia."""
    age = patient_age(analysis, record_age)
    if age is None or age >= ADULT_AGE:
        return None
    whose = ("The patient's birth date gives an age of" if record_age is not None
             else "The note gives the patient's age as")
    return (f"{whose} {_age_words(age)}: the differential does not judge heart rate, breathing "
            "rate or blood pressure by adult limits, and leaves out conditions of adulthood the "
            "note does not name.")


def age_mismatch_notice(analysis: NoteAnalysis, record_age: float | None) -> str | None:
    """A note whose stated age the chart's birth date contradicts may be another patient's
    (a wrong-chart import): says so before anyone acts on its suggestions."""
    stated = stated_age(analysis.text)
    if record_age is None or stated is None or abs(stated - record_age) < AGE_MISMATCH_YEARS:
        return None
    return (f"Check the patient: the note gives the age as {_age_words(stated)}, but the birth "
            f"date on this chart makes the patient {_age_words(record_age)} on the note's date.")


def _vital_findings(analysis: NoteAnalysis, child: bool
                    ) -> tuple[list[tuple[set[str], Concept]], list[tuple[set[str], Concept]]]:
    """Recorded vital signs as findings present ("HR 118": tachycardia) and absent ("T 36.8":
    no fever), by the adult limits of the knowledge file; for a child only those that hold at
    any age (fever, low oxygen saturation)."""
    present, absent = [], []
    for concept in analysis.concepts_of("vital"):
        rules = [r for r in vital_rules() if r.vital == concept.term
                 and not (child and r.adults_only)]
        readings = {r.part: _reading(concept, r.part) for r in rules}
        if not rules or None in readings.values():
            continue
        found = {r.finding for r in rules if r.holds(readings[r.part])}
        if found:
            present.append((found, concept))
        if {r.finding for r in rules} - found:
            absent.append(({r.finding for r in rules} - found, concept))
    return present, absent


def finding_names(concept: Concept, synonyms: dict[str, str], analysis: NoteAnalysis
                  ) -> set[str]:
    names = {concept.term.lower()}
    names |= {synonyms[n] for n in names if n in synonyms}
    sentence = analysis.sentence_at(concept.start)
    if sentence is None:
        return names
    text = analysis.text[sentence.start:sentence.end]
    for qualifier in qualifiers():
        qualified = {qualifier.findings[n] for n in names if n in qualifier.findings}
        if qualified and _said(text, qualifier.cue):
            names |= qualified
    return names


# Words that set a condition apart within its subcategory: J45.909 asthma is no J45.901
# asthma exacerbation, K57.90 diverticulosis no K57.92 diverticulitis.
_SETS_APART = ("exacerbation", "diverticulitis")
# ... and within one code: a lower GI bleed and an upper one are both K92.2.
_OPPOSITE_PARTS = (("upper", "lower"), ("lower", "upper"))


def names_condition(code: str, condition_code: str) -> bool:
    """Whether a code the note gives names the condition: the same subcategory (N39.41 urge
    incontinence is no N39.0 UTI), and a word that sets the condition apart only if the
    code says it too."""
    if code[:5] != condition_code[:5]:
        return False
    wanted, given = description(condition_code).lower(), description(code).lower()
    return all(word not in wanted or word in given for word in _SETS_APART)


def names_other_part(term: str, condition_name: str) -> bool:
    """Whether a concept names the other part of the condition's organ: "lower GI bleed"
    for "Upper gastrointestinal bleeding"."""
    term_words, name_words = set(term.lower().split()), set(condition_name.lower().split())
    return any(a in name_words and b in term_words for a, b in _OPPOSITE_PARTS)


def _without_explained(items: list[DifferentialItem],
                       by_name: dict[str, ConditionKnowledge]) -> list[DifferentialItem]:
    """Without a condition that one finding alone puts on the list when a condition the note
    names explains that finding: a 4-year-old's "Ruptured appendicitis" with fever listed
    influenza, COVID-19 and strep throat for the fever (MTSamples 654). A condition with two
    findings stays, as does one marked can't miss."""
    explained = {finding for item in items if item.named_in_note
                 for finding, weight in by_name[item.name].findings.items() if weight > 0}
    return [i for i in items if i.named_in_note or i.cannot_miss
            or len({f for f, _ in i.findings_for}) != 1
            or not {f for f, _ in i.findings_for} <= explained]


def differential(analysis: NoteAnalysis, limit: int = MAX_CONDITIONS, *,
                 record_age: float | None = None) -> list[DifferentialItem]:
    """``record_age``: the patient's age on the note's date from the chart, if it has one."""
    conditions, synonyms = knowledge()
    present, absent = [], []
    for concept in analysis.concepts_of(*EVIDENCE_CATEGORIES):
        names = finding_names(concept, synonyms, analysis)
        if concept.assertion == "present":
            present.append((names, concept))
        elif concept.assertion == "negated":
            absent.append((names, concept))
    child = is_child(analysis, record_age)
    age = patient_age(analysis, record_age)
    vitals_present, vitals_absent = _vital_findings(analysis, child)
    present += vitals_present
    absent += vitals_absent
    # a past operation that took an organ out (the present one is the note's own operation)
    removed = [c.term for c in analysis.concepts_of("procedure", assertions=("historical",))]
    # symptoms and signs only: "smokes ... for 15 years", "longstanding hypertension" are
    # risk factors, which last by nature
    lasting = {id(c) for _, c in present
               if c.category in ("symptom", "finding") and long_standing(c, analysis)}
    items = []
    for condition in conditions:
        if condition.requires and not any(condition.requires & names for names, _ in present):
            continue
        gone = any(word in term for word in condition.removed_by for term in removed)
        total = sum(w for w in condition.findings.values() if w > 0)
        item = DifferentialItem(condition.name, condition.icd10, 0.0,
                                prevalence=condition.prevalence)
        gained = lost = 0.0
        for finding, weight in condition.findings.items():
            hit_for = next((c for names, c in present if finding in names
                            and not (condition.acute and id(c) in lasting)), None)
            hit_against = next((c for names, c in absent if finding in names), None)
            if hit_for is not None:
                (item.findings_for if weight > 0 else item.findings_against).append(
                    (finding, hit_for))
                gained += weight if weight > 0 else 0.0
                lost += -weight if weight < 0 else 0.0
            elif hit_against is not None and weight > 0:
                item.findings_against.append((finding, hit_against))
                lost += AGAINST_FACTOR * weight
            elif condition.acute and weight > 0:
                item.not_counted += [(finding, c) for names, c in present
                                     if finding in names and id(c) in lasting][:1]
        named = next((c for _, c in present if c.category == "problem" and c.codes
                      and (names_condition(c.codes[0], condition.icd10)
                           or c.codes[0].startswith(condition.named_by or "\0"))
                      and not names_other_part(c.term, condition.name)), None)
        # A condition the note itself names stays on the list without its typical findings
        # (a discharge summary's "Pyelonephritis" with no flank pain written down). Others
        # need a common or characteristic finding (hypertension alone, a supportive one, put
        # aortic dissection on a pyelonephritis patient's list), and are no condition of
        # adulthood for a child ("smoking" in an infant's note is the household's: it gave
        # lung cancer for a cough).
        telling = any(condition.findings[f] >= MIN_LEADING_WEIGHT for f, _ in item.findings_for)
        too_old = condition.max_age is not None and (age is None or age >= condition.max_age)
        if named is None and (not telling or gained <= lost or (child and condition.adults_only)
                              or gone or too_old):
            continue
        item.named_in_note = named is not None
        # Marked can't miss on two findings or a characteristic one (chest pain: ACS; pain and
        # vomiting: bowel obstruction): breathlessness alone marked anaphylaxis, PE and
        # pneumothorax on an angina consult, an alarm a clinician learns to ignore.
        item.cannot_miss = condition.cannot_miss and (
            len({f for f, _ in item.findings_for}) >= CANNOT_MISS_SUPPORT or named is not None
            or any(condition.findings[f] >= CHARACTERISTIC for f, _ in item.findings_for))
        if named is not None:
            item.findings_for.append(("named in the note", named))
        bonus = NAMED_BONUS if named is not None else 0.0
        share = (gained - lost) / total * condition.prevalence_factor
        item.score = round(min(1.0, max(0.0, share + bonus)), 4)
        items.append(item)
    items = _without_explained(items, {c.name: c for c in conditions})
    items.sort(key=lambda i: (-i.score, not i.named_in_note, -len(i.findings_for), i.name))
    # The list's length does not cut off a condition marked can't miss (chest pain and
    # breathlessness: PE, in a long review of systems).
    return items[:limit] + [i for i in items[limit:] if i.cannot_miss]
