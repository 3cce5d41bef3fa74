"""Terms a note names by their body site: "<site> fracture", "carcinoma of the left breast".

Notes name the bone of a fracture and the organ of a cancer far more often than ICD-10-CM's
wording does ("Fracture of neck of femur", "Malignant neoplasm of larynx"), and the bare
"fracture" (T14.8), "carcinoma" (C80.1) or "cellulitis" (L03.90) says nothing of where. Each
site table (``terms/fracture_sites.tsv``, ``terms/cancer_sites.tsv``,
``terms/cellulitis_sites.tsv``) gives a site, its code and the words notes write for it;
``terms/tumor_sites.tsv`` gives a tumour's code at a cancer site ("brain tumor" D49.6, not
the bare "tumor" D49.9). The rules here turn them into TargetMatcher rules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from medspacy.target_matcher import TargetRule
from spacy.tokens import Span

from desktop.core.analysis.notes.rule_files import nlp_resources_dir, read_table

SITE_TABLE = "site_table"  # rule metadata: the table ``named_site`` reads the site from
OWNER_WORDS = ["the", "his", "her", "their", "both", "my", "a", "an"]
SIDE_WORDS = ["left", "right", "bilateral"]


@dataclass(frozen=True)
class SiteTable:
    name: str
    file: str
    kind: str  # the term is "<site> <kind>": "femur fracture", "laryngeal cancer"
    generic: tuple[str, str]  # (term, code) when no written site is found
    after_site: tuple[str, ...]  # "<site> fracture", "<site> carcinoma"
    # the words before "of the <site>", each a choice: ("fracture", "fractures"), then
    # ("malignant",) ("neoplasm", "tumor"...); one pattern each, as the matcher's time grows
    # with their number
    before_of: tuple[tuple[tuple[str, ...], ...], ...]
    parts: tuple[str, ...] = ()  # between site and word: "fifth metatarsal head fracture"
    verb: str | None = None  # "fractured [left] <site> [part]"
    words_from: str | None = None  # another table whose rows give each site's written words
    joins: tuple[str, ...] = ("of",)  # "fracture of the femur"; an injury "to the forehead"


FRACTURES = SiteTable(
    name="fracture", file="fracture_sites.tsv", kind="fracture",
    generic=("fracture", "T14.8XXA"), after_site=("fracture", "fractures"),
    before_of=((("fracture", "fractures"),),), parts=("shaft", "head", "base", "body"),
    verb="fractured")
CANCER_WORDS = ("cancer", "cancers", "carcinoma", "carcinomas", "adenocarcinoma",
                "adenocarcinomas", "malignancy", "malignancies")
CANCERS = SiteTable(
    name="cancer", file="cancer_sites.tsv", kind="cancer",
    generic=("carcinoma", "C80.1"), after_site=CANCER_WORDS,
    before_of=((CANCER_WORDS,), (("malignant",), ("neoplasm", "neoplasms", "tumor", "tumors"))))
TUMOR_WORDS = ("tumor", "tumors", "tumour", "tumours")
TUMORS = SiteTable(
    name="tumor", file="tumor_sites.tsv", kind="tumor", generic=("tumor", "D49.9"),
    after_site=TUMOR_WORDS, before_of=(), words_from=CANCERS.file)  # no "tumor of the
# <site>": the longer match would swallow "Wilms tumor", "carcinoid tumor" before it
CELLULITIS = SiteTable(
    name="cellulitis", file="cellulitis_sites.tsv", kind="cellulitis",
    generic=("cellulitis", "L03.90"), after_site=("cellulitis",),
    before_of=((("cellulitis",),),))
# "Left buttock abscess", "abscess of the right thigh", a diagnosis list's "subcutaneous
# abscesses, right thigh" (``terms/abscess_sites.tsv``).
ABSCESS = SiteTable(
    name="abscess", file="abscess_sites.tsv", kind="abscess", generic=("abscess", "L02.91"),
    after_site=("abscess", "abscesses"), before_of=((("abscess", "abscesses"),),),
    joins=("of", "in", "on", "over", ","))
# "Osteoarthritis of the left knee", "bilateral degenerative arthritis of the knees", "right
# hip DJD": ICD-10-CM codes osteoarthritis by joint (``terms/osteoarthritis_sites.tsv``).
OSTEOARTHRITIS_WORDS = ("osteoarthritis", "osteoarthrosis", "arthrosis", "djd")
OSTEOARTHRITIS = SiteTable(
    name="osteoarthritis", file="osteoarthritis_sites.tsv", kind="osteoarthritis",
    generic=("osteoarthritis", "M19.90"),
    after_site=(*OSTEOARTHRITIS_WORDS, "degenerative arthritis", "degenerative joint disease"),
    before_of=((OSTEOARTHRITIS_WORDS,), (("degenerative",), ("arthritis", "arthrosis")),
               (("degenerative",), ("joint",), ("disease",))),
    joins=("of", "in", "involving"))
# "Esophageal foreign body", "foreign body in the right main stem bronchus", a diagnosis list's
# "Foreign body, right foot" (``terms/foreign_body_sites.tsv``): ICD-10-CM codes a foreign
# body by where it lodged.
FOREIGN_BODY = SiteTable(
    name="foreign body", file="foreign_body_sites.tsv", kind="foreign body",
    generic=("foreign body", "T14.8XXA"), after_site=("foreign body", "foreign bodies"),
    before_of=((("foreign",), ("body", "bodies")),), joins=("in", "of", "within", ","))
# Injuries an emergency note names by where they are: "forehead laceration", "a contusion and
# abrasion to her abdomen", "left ankle sprain".
# An injury named by its site only ("right knee injury", "injured her back") is the region's
# unspecified injury.
INJURY_JOINS = ("of", "to", "on", "over")
INJURIES = tuple(
    SiteTable(name=kind, file=f"{kind}_sites.tsv", kind=kind, generic=(kind, generic),
              after_site=(kind, plural), before_of=(((kind, plural),),),
              joins=INJURY_JOINS, verb=verb)
    for kind, plural, generic, verb in (
        ("laceration", "lacerations", "T14.8XXA", None),
        ("abrasion", "abrasions", "T14.8XXA", None),
        ("contusion", "contusions", "T14.8XXA", None),
        ("sprain", "sprains", "T14.8XXA", "sprained"),
        ("injury", "injuries", "T14.90XA", "injured")))
TABLES = {table.name: table for table in (FRACTURES, CANCERS, TUMORS, CELLULITIS, ABSCESS,
                                           OSTEOARTHRITIS, FOREIGN_BODY, *INJURIES)}


def _form_words(form: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\w+|[^\w\s]", form.lower()))


def _rows(table: SiteTable) -> list[tuple[str, str, list[str], list[str]]]:
    """(site, code, forms that follow "of", forms only before the word) of each row: the
    fracture table writes one list for both, the cancer table nouns then adjectives ("the
    cervical esophagus" is no cervix)."""
    rows = []
    for site, code, nouns, *adjectives in read_table(nlp_resources_dir() / "terms" /
                                                     (table.words_from or table.file)):
        only_before = adjectives[0].split("|") if adjectives and adjectives[0] else []
        rows.append((site, code, [n for n in nouns.split("|") if n], only_before))
    if table.words_from:  # this table's own rows give a code to some of those sites
        codes = dict(read_table(nlp_resources_dir() / "terms" / table.file))
        rows = [(site, codes[site], nouns, only) for site, _code, nouns, only in rows
                if site in codes]
    return rows


def site_rules(table: SiteTable) -> list[TargetRule]:
    """Rules for "<site> [part] <word>", "<word> of the [side] <site>" (and "<verb> [side]
    <site>") from a site table.

    "<site> [part] <word>" are phrases (a phrase matcher looks them up, whatever their
    number). The phrasings with optional words are token patterns, which the matcher tries
    at every token one by one: one pattern per site cost 4 ms a note, so one pattern per
    site length takes any site word at each place and ``named_site`` names the site."""
    rows = _rows(table)
    written = {form for _site, _code, nouns, only in rows for form in [*nouns, *only]}
    rules = []
    columns: dict[int, list[set[str]]] = {}
    for site, code, nouns, only_before in rows:
        meta = {"codes": [code], "term": f"{site} {table.kind}"}
        for form in dict.fromkeys([*nouns, *only_before]):
            # "radial head" is its own site: "radial" + part would give it the shaft's code
            parts = [p for p in table.parts if f"{form} {p}" not in written]
            rules += [TargetRule(f"{named} {word}", "problem", metadata=meta)
                      for named in [form, *(f"{form} {p}" for p in parts)]
                      for word in table.after_site]
        for form in nouns:
            words = _form_words(form)
            places = columns.setdefault(len(words), [set() for _ in words])
            for place, word in zip(places, words, strict=True):
                place.add(word)
            places[-1].add(words[-1] + "s")
    term, code = table.generic
    meta = {SITE_TABLE: table.name, "codes": [code], "term": term}
    for places in columns.values():
        site = [{"LOWER": {"IN": sorted(place)}} for place in places]
        before = [{"LOWER": {"IN": OWNER_WORDS}, "OP": "?"},
                  {"LOWER": {"IN": SIDE_WORDS}, "OP": "?"}]
        patterns = [[*({"LOWER": {"IN": list(words)}} for words in lead),
                     {"LOWER": {"IN": list(table.joins)}}, *before, *site]
                    for lead in table.before_of]
        if table.verb:
            patterns.append([{"LOWER": table.verb}, *before, *site,
                             {"LOWER": {"IN": list(table.parts)}, "OP": "?"}])
        rules += [TargetRule(f"{table.kind} of site", "problem", pattern=pattern, metadata=meta)
                  for pattern in patterns]
    return rules


@lru_cache(maxsize=len(TABLES))
def _sites(name: str) -> dict[tuple[str, ...], tuple[str, str]]:
    """Written site (as words) -> (term, code), from a site table."""
    table = TABLES[name]
    return {_form_words(form): (f"{site} {table.kind}", code)
            for site, code, nouns, _only in _rows(table) for form in nouns}


def names_sited_generally(term: str, other: str) -> bool:
    """Whether ``term`` is a site table's bare term and ``other`` one of its sited terms: an
    operative note's "the fracture site" is the "talus fracture" it fixes."""
    return any(term == table.generic[0] and other != term and other.endswith(f" {table.kind}")
               for table in TABLES.values())


def named_site(span: Span, name: str) -> tuple[str, str] | None:
    """The (term, code) of the site in "fracture of the left <site>", "carcinoma of the
    <site>" or "fractured <site> [part]": the longest written site nearest the span's end,
    plural or not (the pattern also takes words of two sites: "fracture of the nasal floor"
    is a nasal fracture)."""
    words = [t.lower_ for t in span][1:]  # after "fracture(s)", "carcinoma", "fractured"...
    sites = _sites(name)
    for end in range(len(words), 0, -1):
        for length in range(min(4, end), 0, -1):
            named = words[end - length:end]
            for candidate in (tuple(named), (*named[:-1], named[-1].removesuffix("s"))):
                if candidate in sites:
                    return sites[candidate]
    return None


# Words of a tumour's histology that may stand between its site and "carcinoma": "uterine
# papillary serous carcinoma", "breast infiltrating ductal carcinoma".
HISTOLOGY = frozenset(
    "papillary serous squamous small large clear cell transitional ductal lobular invasive "
    "infiltrating endometrioid mucinous medullary follicular anaplastic basaloid poorly well "
    "moderately differentiated undifferentiated high low grade metastatic".split())
MAX_HISTOLOGY = 4


@lru_cache(maxsize=1)
def _cancer_forms() -> dict[tuple[str, ...], tuple[str, str]]:
    """Every written form of a cancer site, noun or adjective ("uterus", "uterine") ->
    (term, code)."""
    return {_form_words(form): (f"{site} {CANCERS.kind}", code)
            for site, code, nouns, only in _rows(CANCERS) for form in [*nouns, *only]}


def cancer_at_its_site(text: str, concepts: Sequence[Any]) -> list[Any]:
    """A bare "carcinoma" (C80.1) at the site written before it across histology words:
    "uterine papillary serous carcinoma" is C55, not a cancer of unspecified site; the
    concept then spans the whole name."""
    generic_term, generic_code = CANCERS.generic
    out = []
    for concept in concepts:
        if concept.codes[:1] == (generic_code,) and concept.term == generic_term:
            window = max(0, concept.start - 80)
            found = _site_before(text[window:concept.start])
            if found is not None:
                (term, code), offset = found
                start = window + offset
                # never over another concept: each span of the note is one concept's evidence
                if not any(c.start < concept.start and c.end > start for c in concepts):
                    concept = replace(concept, text=text[start:concept.end], start=start,
                                      term=term, codes=(code,))
        out.append(concept)
    return out


def _site_before(before: str) -> tuple[tuple[str, str], int] | None:
    """The site written right before a cancer word, across histology words only, and where
    in ``before`` it starts."""
    clause_start = max((m.end() for m in re.finditer(r"[,.;:()]", before)), default=0)
    words = list(re.finditer(r"[a-z]+", before.lower()[clause_start:]))
    if before[clause_start + words[-1].end():].strip() if words else True:
        return None  # something other than a space stands between the words and the cancer
    texts = [w.group() for w in words]
    forms = _cancer_forms()
    for first in range(max(0, len(texts) - MAX_HISTOLOGY - 3), len(texts)):
        for length in (3, 2, 1):
            site = tuple(texts[first:first + length])
            rest = texts[first + length:]
            if (len(site) == length and site in forms and rest
                    and len(rest) <= MAX_HISTOLOGY and all(w in HISTOLOGY for w in rest)):
                return forms[site], clause_start + words[first].start()
    return None
