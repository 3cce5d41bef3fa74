"""Keep code suggestions consistent with what the note itself says.

Candidates reach a code through indirect evidence too (a similar sentence, a phrase that
predicts the code in coded cases, a train-frequent sibling). Three things such evidence
cannot see, and a clinician or coder would catch at once:
- the note denies the condition, or gives it to a relative ("denies hypertension",
  "mother with hypertension"): a code that only such a mention names is dropped — negated
  and family-history concepts are never the patient's diagnosis;
- the side: retrieval barely tells "right" from "left", and the granularity picked from
  train frequencies may name a side the note does not. A code is moved to the variant of
  the side its evidence names (M79.621 "Pain in right upper arm" for "pain in the left upper
  arm" becomes M79.622), or to the unspecified side when its evidence names none;
- ICD-10-CM's Excludes1 notes ("not coded here"): R52 "Pain, unspecified" is never coded
  beside knee pain the note names (M25.56-); N39.0 "UTI, site not specified" never beside
  a named cystitis (N30.-). A code the note's own terms do not name gives way to one they do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import simple_icd_10_cm as icd
from spacy.lang.en.stop_words import STOP_WORDS

from desktop.core.analysis.coding.icd_table import coded_as, description
from desktop.core.analysis.notes import NoteAnalysis
from desktop.core.analysis.notes.concepts.extraction import CODED_CATEGORIES
from desktop.core.analysis.notes.rule_files import nlp_resources_dir, read_table, words_pattern

NOT_THE_PATIENTS = ("negated", "family")
# "bilaterally", "both legs": evidence of a bilateral condition; "both" alone is too vague
# ("both parents").
SIDE_WORDS = re.compile(
    r"\b(left|right|bilateral(?:ly)?|both (?:(?:upper|lower) )?(?:sides|eyes|ears|arms|legs|"
    r"hands|feet|knees|hips|shoulders|elbows|wrists|ankles|thighs|limbs|extremities|lungs|"
    r"kidneys|breasts|ovaries|testes))\b", re.IGNORECASE)
CODE_SIDE = re.compile(r"(?:^|,? )\b(right|left|unspecified|bilateral)\b(?: (?:eye|ear|side))?",
                       re.IGNORECASE)
# Hemiplegia and monoplegia name the side "right dominant", "left nondominant"...
DOMINANCE = re.compile(r"\s*\b(?:non-?)?dominant\b", re.IGNORECASE)
# "(R07.1-R07.9)", "(H92.0-)", "(O10-O11, O13-O16)" in an Excludes1 note.
_CODE = r"[A-Z]\d[0-9A-Z](?:\.[0-9A-Z]+)?"
CODE_RANGE = re.compile(rf"({_CODE})\.?-?(?:-({_CODE}))?")
NOTE_REFS = re.compile(r"\(([^()]*)\)")
WORDS_BEFORE = 40  # characters before a concept that may name its side ("left knee pain")
# A side named just after a term: "sciatica on the left", "otitis media in the right ear",
# "crackles bilaterally"; not "knee pain right now".
# A diagnosis list's "Medial meniscal tear, left knee." names the side after a comma when
# the site, one word, closes the item; not "knee pain, right hip pain".
SIDE_AFTER = re.compile(
    r"[ \t]+(?:(?:on|of|in|at|involving|affecting)[ \t]+(?:the[ \t]+|his[ \t]+|her[ \t]+)?)?"
    r"(left|right|bilateral(?:ly)?)\b(?![ \t]+(?:now|away|after|before|here|there)\b)"
    r"|,[ \t]*(left|right)[ \t]+[a-z]+(?=[ \t]*(?:[.;]|,\d|$))"
    # "Morton neuroma of her feet bilaterally"
    r"|[ \t]+(?:of|in|on|at)[ \t]+(?:the|his|her|both)[ \t]+[a-z]+(?:[ \t]+[a-z]+)?"
    r"[ \t]+(bilaterally)\b",
    re.IGNORECASE | re.MULTILINE)
# "open ankle fracture", "open right femur fracture", "open fracture": the fracture is open;
# "open reduction of the fracture" is the operation.
OPEN_FRACTURE = re.compile(
    r"\bopen[ \t]+(?!reduction|reduced|repair|treatment|fixation|approach|procedure|surgery)"
    r"(?:[\w-]+[ \t]+){0,3}fractures?\b", re.IGNORECASE)
# Where the words before a term stop being about it: "left knee pain and right hip pain".
CLAUSE_BREAK = re.compile(r"[,;:.()]|\b(?:and|or|with|but|after|from)\b", re.IGNORECASE)


def denied_codes(analysis: NoteAnalysis, coded_assertions: Iterable[str]) -> set[str]:
    """Codes the note names only in denied or family-history mentions."""
    coded_assertions = set(coded_assertions)
    denied, affirmed = set(), set()
    for concept in analysis.concepts:
        if concept.category not in CODED_CATEGORIES:
            continue
        codes = {c for code in concept.codes for c in (code, coded_as(code))}
        if concept.assertion in coded_assertions:
            affirmed |= codes
        elif concept.assertion in NOT_THE_PATIENTS:
            denied |= codes
    return denied - affirmed


def sides_named(text: str) -> set[str]:
    """"left", "right" and/or "bilateral" as the text names them."""
    found = set()
    for match in SIDE_WORDS.finditer(text):
        word = match.group(1).lower()
        found.add(word if word in ("left", "right") else "bilateral")
    return found


def evidence_sides(text: str, spans: Iterable, code: str) -> set[str]:
    """Sides named by the evidence: a term's words, those just before it on its line ("left
    knee pain") and a side just after it ("sciatica on the left"); only if no term names
    one, the words of a similar sentence (a well-child check's "Left otitis media" stayed
    unsided beside the examination's "TMs clear bilaterally") — for a code with a body site,
    only a side the sentence names that site with (a laparoscopy's "The left uterosacral
    ligament had lesions" gave "chronic pelvic pain" the left side)."""
    spans = list(spans)
    terms = [s for s in spans if getattr(s, "category", "") != "sentence"]
    sentences = [s for s in spans if getattr(s, "category", "") == "sentence"]
    sides = _sides_of(text, terms)
    if sides or not sentences:
        return sides
    sites = _what_the_code_names(code)[1]
    if not sites:
        return _sides_of(text, sentences)
    for span in sentences:
        by_site = sides_by_site(text[span.start:span.end])
        sides |= set().union(*(by_site.get(site, set()) for site in sites))
    return sides


def _sides_of(text: str, spans: list) -> set[str]:
    found: set[str] = set()
    for span in spans:
        found |= sides_named(text[span.start:span.end])
        if getattr(span, "category", "") != "sentence":
            line_start = text.rfind("\n", 0, span.start) + 1
            before = text[max(line_start, span.start - WORDS_BEFORE):span.start]
            found |= sides_named(CLAUSE_BREAK.split(before)[-1])
            after = SIDE_AFTER.match(text, span.end, min(len(text), span.end + WORDS_BEFORE))
            if after:
                found |= sides_named(next(side for side in after.groups() if side))
    return found


def sides_by_site(text: str) -> dict[str, set[str]]:
    """Body site -> the sides the note names it with ("left knee", "right total knee
    arthroplasty")."""
    found: dict[str, set[str]] = {}
    for match in SIDE_WORDS.finditer(text):
        after = CLAUSE_BREAK.split(text[match.end():match.end() + WORDS_BEFORE])[0]
        for side in sides_named(match.group(0)):
            for site in sites_named(after):
                found.setdefault(site, set()).add(side)
    return found


def site_side(code: str, by_site: dict[str, set[str]]) -> set[str]:
    """The one side the whole note names the code's site with, if it names only one: an
    arthroscopy of the "left knee" whose findings say "tear to the lateral meniscus" without a
    side. Empty when the note names both sides, or the code has no site."""
    sites = _what_the_code_names(code)[1]
    sides = set().union(*(by_site.get(site, set()) for site in sites))
    return sides if len(sides) == 1 else set()


def code_side(code: str) -> str | None:
    """The first side a description names ("Otitis media, unspecified, right ear": right;
    "Unqualified visual loss, left eye, normal vision right eye": left)."""
    words = [w.lower() for w in CODE_SIDE.findall(description(code))]
    named = [w for w in words if w != "unspecified"]
    return named[0] if named else ("unspecified" if words else None)


@lru_cache(maxsize=4096)
def side_variants(code: str) -> dict[str, str]:
    """Side -> code among ``code``'s siblings that differ from it only in the side named
    (``M79.621`` -> {"right": "M79.621", "left": "M79.622", "unspecified": "M79.629"})."""
    if len(code) > 7:  # 7th character: S52.501A; after placeholders: S72.90XA (S72.90)
        base = code[:7].rstrip("X")
        if not icd.is_valid_item(base):
            return {}
        return {side: variant.ljust(7, "X") + code[7:]
                for side, variant in side_variants(base).items()
                if icd.is_valid_item(variant.ljust(7, "X") + code[7:])}
    parent = icd.get_parent(code) if icd.is_valid_item(code) else ""
    if not parent or code_side(code) is None:
        return {}
    key = _without_side(description(code))
    variants = {}
    for sibling in sorted(icd.get_children(parent), key=lambda c: not _default_dominance(c)):
        side = code_side(sibling)
        if side and _without_side(description(sibling)) == key:
            variants.setdefault(side, sibling)
    if "bilateral" not in variants and (both := _bilateral_of(parent)):
        variants["bilateral"] = both
    return variants if len(variants) > 1 else {}


def _bilateral_of(parent: str) -> str | None:
    """The bilateral code ICD-10-CM keeps beside a unilateral subcategory: "M17.1 Unilateral
    primary osteoarthritis of knee" -> "M17.0 Bilateral primary osteoarthritis of knee"."""
    text = description(parent)
    if not text.startswith(("Unilateral ", "Other unilateral ")):
        return None
    wanted = re.sub(r"\b([Uu])nilateral", lambda m: "Bilateral" if m[1] == "U" else "bilateral",
                    text)
    grandparent = icd.get_parent(parent)
    return next((c for c in icd.get_children(grandparent) if icd.is_leaf(c)
                 and re.sub(r"s\b", "", description(c)) == re.sub(r"s\b", "", wanted)), None)


def _without_side(text: str) -> str:
    """A description without its side, in the singular: "bilateral lower limbs" is the
    "right lower limb" at both sides; hemiplegia's "right dominant side" is a right side."""
    return re.sub(r"(?<=\w)s\b", "", CODE_SIDE.sub("", DOMINANCE.sub("", text)).lower())


def _default_dominance(code: str) -> bool:
    """Whether a paralysis code's dominance is the one ICD-10-CM's guideline (I.C.6.a) gives
    a side the note does not call dominant or not: the right side dominant, the left not."""
    text = description(code).lower().replace("non-dominant", "nondominant")
    if "dominant" not in text:
        return True
    return ("nondominant" in text) == (code_side(code) == "left")


def side_for(code: str, sides: set[str]) -> str:
    """The variant of ``code`` for the sides its evidence names."""
    variants = side_variants(code)
    if not variants:
        return code
    if len(sides) > 1:  # "left knee pain, right hip pain": which is this code's?
        return code
    wanted = next(iter(sides)) if sides else "unspecified"
    return variants.get(wanted, code)


def encounter_for(code: str, text: str, spans: Iterable) -> str:
    """A closed fracture's initial-encounter code ("S82.891A ... initial encounter for closed
    fracture") as the open fracture's ("...B") when a term of its evidence says "open"
    ("Right open ankle fracture"); not "open reduction" of a fracture."""
    if len(code) != 8 or code[7] != "A" or not description(code).endswith("closed fracture"):
        return code
    opened = code[:7] + "B"
    if not icd.is_valid_item(opened):
        return code
    for span in spans:
        if getattr(span, "category", "") == "sentence":
            continue
        before = CLAUSE_BREAK.split(text[max(0, span.start - WORDS_BEFORE):span.start])[-1]
        if OPEN_FRACTURE.search(before + text[span.start:span.end]):
            return opened
    return code


@lru_cache(maxsize=8192)
def excluded_ranges(code: str) -> tuple[tuple[str, str], ...]:
    """Code ranges the Excludes1 notes of ``code`` and its ancestors name."""
    if not icd.is_valid_item(code):
        return ()
    ranges = []
    for item in (code, *icd.get_ancestors(code)):
        for note in icd.get_excludes1(item):
            for refs in NOTE_REFS.findall(note):
                for ref in refs.split(","):
                    match = CODE_RANGE.fullmatch(ref.strip())
                    if match:
                        ranges.append((match.group(1), match.group(2) or match.group(1)))
    return tuple(ranges)


def excludes(code: str, other: str) -> bool:
    """Whether an Excludes1 note of ``code`` says ``other`` is not coded with it."""
    return any(low <= other[:len(low)] and other[:len(high)] <= high
               for low, high in excluded_ranges(code))


def named_codes(analysis: NoteAnalysis, coded_assertions: Iterable[str]) -> set[str]:
    """Codes the note's own terms name for the patient."""
    coded_assertions = set(coded_assertions)
    return {c for concept in analysis.concepts
            if concept.category in CODED_CATEGORIES and concept.assertion in coded_assertions
            for code in concept.codes for c in (code, coded_as(code))}


# Words of ICD-10-CM descriptions that name no condition: sharing them is no evidence.
GENERIC_WORDS = frozenset(
    "unspecified other specified left right bilateral side site sites part parts region "
    "without with complication complications uncomplicated initial subsequent encounter "
    "sequela disorder disorders disease diseases condition conditions elsewhere classified "
    "due type acute chronic organism tissue organ organs male female age related current "
    # an operation's anaesthesia, in nearly every operative note, named "R20.0 Anesthesia of
    # skin" (numbness); the term "numbness" still does
    "anesthesia anesthetic "
    # what kind of code, not of what: "History related to this illness dates back to October"
    # named "Z92.0 Personal history of contraception" (MTSamples 4745)
    "personal history status "
    # where in a part, not what: "the lateral port of the knee" named "Other tear of lateral
    # meniscus"
    "medial lateral upper lower anterior posterior superior inferior proximal distal"
    .split())
WORD = re.compile(r"[a-z]{3,}")


@lru_cache(maxsize=1)
def _site_words() -> tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...]:
    """(site, words an ICD-10-CM description names it by, words a note may name it by) from
    ``terms/body_sites.tsv``."""
    sites = []
    for site, words, *colloquial in read_table(nlp_resources_dir() / "terms" / "body_sites.tsv"):
        words = words.split(",")
        extra = colloquial[0].split(",") if colloquial else []
        sites.append((site, words_pattern(words), words_pattern(words + extra)))
    return tuple(sites)


def sites_named(text: str) -> set[str]:
    """Body sites a note's text names ("fracture of the right femur": thigh)."""
    return {site for site, _, said in _site_words() if said.search(text)}


# Parts of a description that name no site of the condition: "Malignant neoplasm of right
# kidney, except renal pelvis".
NOT_THE_SITE = re.compile(r"\bexcept\b.*|\brenal pelvis\b", re.IGNORECASE)


# Endings that make another form of the same word, longest first: "anemic"/"anemia",
# "hypertensive"/"hypertension", "cigarettes"/"cigarette", "duodenal"/"duodenum". A fixed
# prefix length made "hypertension" name "hyperglycemia" and "hemoglobin" "hemoglobinuria";
# a general stemmer (Snowball) keeps "anemic" and "anemia" apart.
WORD_ENDINGS = ("ically", "ities", "ation", "ical", "ions", "ious", "atic", "ated", "ists",
                "ion", "ous", "ity", "ive", "ies", "ism", "ist", "ing", "ers", "ate", "ia",
                "ic", "al", "um", "us", "is", "es", "ed", "er", "s", "a", "e", "y")
MIN_ROOT = 4


def _strip_ending(word: str) -> str:
    for ending in WORD_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_ROOT:
            return word[: -len(ending)]
    return word


def _root(word: str) -> str:
    # "abnormalities" -> "abnormal" -> "abnorm", as "abnormal" -> "abnorm"; only an adjective's
    # ending goes second ("pleurisy" -> "pleuris" stays apart from "pleural" -> "pleur")
    root = _strip_ending(word)
    return _strip_ending(root) if root.endswith(("al", "ic", "ous", "ive")) else root


def _stems(text: str) -> set[str]:
    return {_root(w) for w in WORD.findall(text.lower())
            if w not in GENERIC_WORDS and w not in STOP_WORDS}


def says_as_much(specific: str, general: str) -> bool:
    """``specific``'s description holds every word of ``general``'s that names something
    ("Iron deficiency anemia, unspecified" says as much as "Anemia, unspecified", and more)."""
    words = _stems(description(general))
    return bool(words) and words <= _stems(description(specific))


@lru_cache(maxsize=1)
def _synonyms() -> dict[str, frozenset[str]]:
    """Stem of a note word -> stems of the description words it stands for
    (``terms/condition_synonyms.tsv``: "metastases" -> secondary malignant neoplasm)."""
    rows = read_table(nlp_resources_dir() / "terms" / "condition_synonyms.tsv")
    return {_root(word.strip().lower()): frozenset(_stems(words)) for word, words in rows}


# "a nontender, non-nodular prostate" names no "N40.2 Nodular prostate" (MTSamples 2464)
NOT_PREFIXED = re.compile(r"\bnon-\s*", re.IGNORECASE)


# What prevents a disease or records whether one was prevented names no case of it: "his last
# tetanus shot", "declined to update his tetanus immunization", "allergic to tetanus serum"
# named "A35 Other tetanus" (MTSamples 3374); "DVT prophylaxis" names no DVT. Not any word
# before "serum" or "status": "elevated serum creatinine" and "mental status changes" do.
PREVENTION = re.compile(
    r"\b[\w-]+\s+(?:shots?|immuni[sz]ations?|vaccines?|vaccinations?|boosters?|toxoid|"
    r"update|prophylaxis)\b|\b(?:tetanus|horse|diphtheria)\s+serum\b", re.IGNORECASE)


def _evidence_stems(text: str) -> set[str]:
    stems = _stems(PREVENTION.sub(" ", NOT_PREFIXED.sub("non", text)))
    synonyms = _synonyms()
    return stems.union(*(synonyms[s] for s in stems if s in synonyms))


@lru_cache(maxsize=1)
def _organ_words() -> re.Pattern[str]:
    """Organ and tissue words (``terms/organ_words.txt``): where a condition is, not what."""
    rows = read_table(nlp_resources_dir() / "terms" / "organ_words.txt")
    return words_pattern(row[0] for row in rows)


@lru_cache(maxsize=8192)
def _what_the_code_names(code: str) -> tuple[frozenset[str], frozenset[str]]:
    """Stems of the description's words that name no site or organ, and the sites it names."""
    text = NOT_THE_SITE.sub(" ", description(code))
    sites = {site for site, written, _ in _site_words() if written.search(text)}
    for _, written, _ in _site_words():
        text = written.sub(" ", text)
    return frozenset(_stems(_organ_words().sub(" ", text))), frozenset(sites)


# A description's qualifier that is the condition itself: "Abnormal reflex" is not named by
# "Deep tendon reflexes 2+", nor "Other abnormalities of breathing" by "breath sounds are
# clear", nor "Malignant neoplasm of oropharynx" by "The oropharynx is clear". The evidence
# must say it too (or a word condition_synonyms.tsv maps to it). "Benign" alone names no
# benign condition either: "benign nerve sheath tumor" named "Benign prostatic hyperplasia".
# Nor does "hypertension" name "K76.6 Portal hypertension" or "I15.0 Renovascular
# hypertension": other diseases; nor "hematuria" "R31.29 Other microscopic hematuria"; nor
# "a white blood cell count of 20.8" "D72.819 Decreased white blood cell count"; nor
# "degenerative arthritis of the knees" a rheumatoid, pyogenic or juvenile arthritis, nor
# "cadaveric renal transplant" a transplant rejection, removal or one awaited; nor "brow
# ptosis" a congenital ptosis, "hearing loss" a sudden idiopathic one; nor "Protein-calorie
# malnutrition" "E43 Unspecified severe protein-calorie malnutrition" (MTSamples 462), nor
# "Dementia and depression" "F32.9 Major depressive disorder" beside F32.A (3354), nor "He
# has been drinking alcohol today" an alcohol dependence or abuse (3216).
REQUIRED_QUALIFIERS = frozenset({"abnorm", "elev", "malign", "neoplasm", "benign", "port",
                                 "renovascular", "microscop", "gros", "decreas", "rheumatoid",
                                 "pyogen", "juvenil", "reject", "await", "remov", "congenit",
                                 "sudden", "idiopath", "sever", "major", "toxic", "dependenc",
                                 "abus"})
# A parenthesised word is another name ("Morbid (severe) obesity", "Chronic kidney disease,
# stage 4 (severe)") and "unspecified severity" names none: neither is a required qualifier.
NOT_REQUIRED = re.compile(r"\([^)]*\)|\bseverity\b", re.IGNORECASE)


@lru_cache(maxsize=8192)
def _required_words(code: str) -> frozenset[str]:
    return frozenset(_stems(NOT_REQUIRED.sub(" ", description(code)))) & REQUIRED_QUALIFIERS


# A word that is also a step of an operation names its condition only with the organ the
# description names: "Blunt dissection was carried down" named "I71.00 Dissection of aorta".
OPERATIVE_STEPS = frozenset({"dissect"})
# A condition an organ makes another disease names it only with that organ, where the
# description names one: "hypertension" names no "I27.20 Pulmonary hypertension", "H40.059
# Ocular hypertension" or "I11.9 Hypertensive heart disease" (MTSamples 3019: K76.6 listed
# for a child's hypertension); "I10 Essential (primary) hypertension" names no organ.
ORGAN_QUALIFIED = frozenset({"hypertens"})


# Words a description and its evidence cannot both mean with opposite ones: "Unspecified right
# bundle-branch block" is not named by "left bundle-branch block", nor "Chronic pulmonary
# edema" by "acute pulmonary edema", nor "Other tear of lateral meniscus" by "Medial meniscal
# tear", nor "Other microscopic hematuria" by "gross hematuria", nor "thrombosis of superior
# vena cava" by the "inferior vena cava".
OPPOSITE_WORDS = {"right": "left", "left": "right", "chronic": "acute", "acute": "chronic",
                  "medial": "lateral", "lateral": "medial", "upper": "lower", "lower": "upper",
                  "gross": "microscopic", "microscopic": "gross",
                  "superior": "inferior", "inferior": "superior"}


def _opposed_words(code: str) -> frozenset[str]:
    words = set(re.findall(r"[a-z]+", description(code).lower()))
    return frozenset(w for w in words if w in OPPOSITE_WORDS)


def _contradicts(said: frozenset[str], evidence: str) -> bool:
    """The evidence names the opposite of a word the description says, and not that word."""
    written = set(re.findall(r"[a-z]+", evidence.lower()))
    return any(OPPOSITE_WORDS[w] in written and w not in written for w in said)


def contradicts_the_code(code: str, evidence: str) -> bool:
    """``evidence`` names the opposite side, course or part of what ``code`` says."""
    return _contradicts(_opposed_words(code), evidence)


def term_names(code: str, span) -> bool:
    """A term's code is ``code``, a finer or broader form of it, or the same at another side
    or encounter (M25.569 for M25.562, S83.249A for S83.242A, S82.891A for S82.891B); not
    another condition of its subcategory ("diverticulitis", K57.92, names no K57.90
    diverticulosis)."""
    for other in getattr(span, "codes", ()):
        if code.startswith(other) or other.startswith(code):
            return True
        if code[:7] == other[:7] and len(code) == len(other) == 8:  # the encounter
            return True
        sides = set(side_variants(other).values())
        if code in sides or code[:7] + other[7:] in sides:
            return True
    return False


def names_the_code(code: str, spans: Iterable) -> bool:
    """Whether the note's evidence for ``code`` names what the code says: a term of the code's
    family (M79.62- for "pain in the left upper arm"), or a word its description uses and the
    body site it names, if it names one.

    Retrieval and mined phrases also reach codes the note never names: "F17.290 Nicotine
    dependence, other tobacco product" from "pack", "R50.9 Fever" from "urine", and
    neighbouring sites: "M25.512 Pain in left shoulder" for pain in the left upper arm.
    """
    said = _opposed_words(code)
    spans = [s for s in spans if not said or not _contradicts(said, s.text)]
    if any(term_names(code, span) for span in spans):
        return True
    words, sites = _what_the_code_names(code)
    if not words:
        # a description that is only a site ("Acute abdomen", "Disorder of patella") is not
        # named by a sentence about the site: "The laparoscope was removed from the abdomen"
        return False
    named = (words - REQUIRED_QUALIFIERS) or words  # "increased" alone names no gait disorder
    required = _required_words(code)
    # One piece of evidence must say it all: "pain" and another sentence's "ABDOMEN:" do not
    # name abdominal pain.
    normal_code = "normal" in description(code).lower()
    for span in spans:
        if (getattr(span, "category", "") == "sentence" and not normal_code
                and NORMAL_FINDING.search(span.text)):
            continue
        stems = _evidence_stems(span.text)
        if words and not (named & stems and required <= stems):
            continue
        organs = _organs(description(code))
        if named & stems <= OPERATIVE_STEPS and not organs & _organs(span.text):
            continue
        if named & stems <= ORGAN_QUALIFIED and organs and not organs & _organs(span.text):
            continue
        if not sites or sites & sites_named(span.text):
            return True
    return False


# An examination's normal finding names no disorder of what it examined: "Normal mood and
# affect." named "F39 Unspecified mood [affective] disorder" (MTSamples 3013); a normal
# examination template's "The salivary glands appear unremarkable", "Sensation ... is
# intact", "Mood and affect are appropriate" named salivary, sensory and mood disorders (2464);
# an immunization "up-to-date" names no disease it prevents ("TETANUS STATUS: Up-to-date.",
# 3216: A33, tetanus neonatorum).
NORMAL_FINDING = re.compile(
    r"(?<!ab)\bnormal\b(?!\s+(?:saline|sinus|pressure\s+hydro))|\bunremarkable\b|"
    r"\bwithin\s+normal\s+limits\b|\bWNL\b|\b(?:is|are|was|were|remains?)\s+(?:\w+\s+)?"
    r"(?:intact|appropriate|midline)\b|\bup[- ]to[- ]date\b", re.IGNORECASE)


def _organs(text: str) -> frozenset[str]:
    """Stems of the organ and tissue words of ``text`` ("aorta", "aortic": "aort")."""
    return frozenset(_stems(" ".join(m.group(0) for m in _organ_words().finditer(text))))
