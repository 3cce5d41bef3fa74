"""Spine conditions with the region ICD-10-CM codes them by (``terms/spine_conditions.tsv``).

A disc herniation is M50.2- in the neck and M51.2- below it, spondylosis M47.812 to M47.817
by region; notes give the region as a word ("cervical spondylosis", "degenerative disc
disease of the lumbar spine") or as a level ("disc herniation at C4-C5", "L5-S1 disc
herniation"). "<region> <condition>" are phrases; the phrasings with a level or "of the
<region> spine" are a few token patterns whose condition and region ``spine_condition_of``
reads from the matched words.
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

SPINE = "spine_condition"  # rule metadata: ``spine_condition_of`` names condition and region
REGIONS = ("cervical", "thoracic", "thoracolumbar", "lumbar", "lumbosacral")
# "S1" alone (an "S1 radiculopathy", the first sacral root) is coded lumbosacral: the table
# has no sacral column, and the root leaves at L5-S1.
LEVEL_REGIONS = {"c": "cervical", "t": "thoracic", "l": "lumbar", "s": "lumbosacral"}
LEVEL = r"^(?:[CTLctl](?:[1-9]|1[0-2])|[Ss]1)$"  # "C4", "L5", "T12", "S1"
NEXT_LEVEL = r"^(?:[CTLSctls]?[1-9]|[CTLSctls]?1[0-2])$"  # "C5" of "C4-C5", "5" of "L4-5", "S1"
# Words that make a disc named after its level a herniation ("herniation L4-5 disk")
DISPLACED = frozenset({"herniation", "herniated", "bulging", "protrusion", "extrusion",
                       "ruptured", "protruded", "extruded"})
DISC_HERNIATION = "disc herniation"  # the condition of spine_conditions.tsv they name


@dataclass(frozen=True)
class SpineCondition:
    name: str
    alone: tuple[str, ...]  # forms that name it with no region ("herniated disc")
    with_region: tuple[str, ...]  # forms that name it only after one ("lumbar stenosis")
    codes: dict[str | None, str]  # region (None: not named) -> code


@lru_cache(maxsize=1)
def spine_conditions() -> tuple[SpineCondition, ...]:
    rows = read_table(nlp_resources_dir() / "terms" / "spine_conditions.tsv")
    return tuple(
        SpineCondition(name, tuple(f for f in alone.split("|") if f),
                       tuple(f for f in only.split("|") if f),
                       {None: unnamed, **dict(zip(REGIONS, by_region, strict=True))})
        for name, alone, only, unnamed, *by_region in rows)


def _many(form: str) -> str:
    return form[:-3] + "ses" if form.endswith("sis") else form + "s"


def _words(form: str) -> tuple[str, ...]:
    return tuple(form.lower().split())


def spine_rules() -> list[TargetRule]:
    """Phrases "<condition>" and "<region> [spine|spinal] <condition>", and token patterns for
    "<condition> [,] [at] [left] <level>", "<level> <condition>", "<condition> of the <region>
    spine"; one pattern per form length, any form word at each place."""
    rules = []
    columns: dict[int, list[set[str]]] = {}
    for condition in spine_conditions():
        for form in condition.alone:
            for written in (form, _many(form)):
                rules.append(TargetRule(written, "problem", metadata={
                    "codes": [condition.codes[None]], "term": condition.name}))
            places = columns.setdefault(len(_words(form)), [set() for _ in _words(form)])
            for place, word in zip(places, _words(form), strict=True):
                place.add(word)
            places[-1].add(_words(_many(form))[-1])
        for region in REGIONS:
            meta = {"codes": [condition.codes[region]], "term": f"{region} {condition.name}"}
            rules += [TargetRule(f"{region}{middle} {written}", "problem", metadata=meta)
                      for form in (*condition.alone, *condition.with_region)
                      for written in (form, _many(form))
                      for middle in ("", " spine", " spinal")]
    level = [{"TEXT": {"REGEX": LEVEL}}, {"ORTH": {"IN": ["-", "/"]}, "OP": "?"},
             {"TEXT": {"REGEX": NEXT_LEVEL}, "OP": "?"}]
    meta = {SPINE: True, "codes": [], "term": "spine condition"}
    for places in columns.values():
        form = [{"LOWER": {"IN": sorted(place)}} for place in places]
        patterns = [
            [*form, {"ORTH": ",", "OP": "?"}, {"LOWER": {"IN": ["at", "of", "in"]}, "OP": "?"},
             {"LOWER": "the", "OP": "?"}, {"LOWER": {"IN": ["level", "levels"]}, "OP": "?"},
             {"LOWER": {"IN": ["left", "right", "bilateral"]}, "OP": "?"}, *level],
            [*level, *form],
            [*form, {"LOWER": {"IN": ["of", "in", "at"]}}, {"LOWER": "the", "OP": "?"},
             {"LOWER": {"IN": list(REGIONS)}}, {"LOWER": {"IN": ["spine", "region"]}}],
        ]
        rules += [TargetRule("spine condition", "problem", pattern=p, metadata=meta)
                  for p in patterns]
    # "Recurrent herniation L4-5 disk", "herniation of the L5-S1 disc"
    rules.append(TargetRule("spine condition", "problem", metadata=meta, pattern=[
        {"LOWER": {"IN": sorted(DISPLACED)}}, {"LOWER": {"IN": ["of", "at"]}, "OP": "?"},
        {"LOWER": "the", "OP": "?"}, *level, {"LOWER": {"IN": ["disc", "disk"]}}]))
    return rules


def _region(words: list[str]) -> str | None:
    """The region a level ("L5-S1": lumbosacral, "T12-L1": thoracolumbar) or a region word
    names, first one first."""
    for i, word in enumerate(words):
        if word in REGIONS:
            return word
        if re.match(LEVEL, word):
            region = LEVEL_REGIONS[word[0]]
            after = words[i + 1:i + 3]
            if region == "lumbar" and "s1" in after:
                return "lumbosacral"
            if region == "thoracic" and any(w.startswith("l") for w in after):
                return "thoracolumbar"
            return region
    return None


def spine_condition_of(span: Span) -> tuple[str, str] | None:
    """(term, code) for a span a spine pattern matched: the condition its longest form names,
    at the region its level or region word gives (none: the code with no region)."""
    words = [t.lower_ for t in span]
    forms = sorted(((_words(f), c) for c in spine_conditions() for f in c.alone),
                   key=lambda fc: -len(fc[0]))
    for form, condition in forms:
        for start in range(len(words) - len(form) + 1):
            found = tuple(words[start:start + len(form)])
            if found == form or found == (*form[:-1], _words(_many(" ".join(form)))[-1]):
                region = _region(words)
                term = f"{region} {condition.name}" if region else condition.name
                return term, condition.codes[region]
    if DISPLACED & set(words) and {"disc", "disk"} & set(words):
        condition = next(c for c in spine_conditions() if c.name == DISC_HERNIATION)
        region = _region(words)
        return (f"{region} {condition.name}" if region else condition.name,
                condition.codes[region])
    return None


def in_the_notes_region(concepts: Sequence[Any]) -> list[Any]:
    """Concepts with a spine condition that names no region ("disk herniation" in the
    procedure) at the region every other spine condition of the note names ("Herniated
    nucleus pulposus, C5-C6" and "C6-C7": cervical), when they name one region only. A
    bare M51.9 "Unspecified thoracic, thoracolumbar and lumbosacral intervertebral disc
    disorder" in a neck operation was wrong on both counts."""
    by_name = {c.name: c for c in spine_conditions()}
    regions = {c.term.split()[0] for c in concepts
               if c.assertion != "family" and c.term.split()[:1] != []
               and c.term.split()[0] in REGIONS
               and c.term.split(maxsplit=1)[-1] in by_name}
    if len(regions) != 1:
        return list(concepts)
    region = regions.pop()
    return [replace(c, term=f"{region} {c.term}", codes=(by_name[c.term].codes[region],))
            if c.term in by_name else c for c in concepts]
