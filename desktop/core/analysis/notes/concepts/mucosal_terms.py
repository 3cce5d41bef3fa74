"""Findings on a mucous membrane: a bronchoscopy's "erythema" of the lobes, an endoscopy's
"edema of the mucosa". ICD-10-CM codes the bare words as the skin's or a limb's (L53.9,
R60.9), and the differential reads them so; ``terms/mucosal_findings.tsv`` lists the words
that say a sentence is about a mucosa instead."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

from desktop.core.analysis.notes.rule_files import nlp_resources_dir, read_table, words_pattern

MUCOSAL = "mucosal "


@lru_cache(maxsize=1)
def _words() -> tuple[dict[str, str], re.Pattern[str], re.Pattern[str]]:
    """(finding term -> its bare code, mucosa words, skin words)."""
    rows = read_table(nlp_resources_dir() / "terms" / "mucosal_findings.tsv")
    findings = {row[1]: row[2] for row in rows if row[0] == "finding"}
    words = {row[0]: row[1].split(",") for row in rows if row[0] != "finding"}
    return findings, words_pattern(words["mucosa"]), words_pattern(words["skin"])


def at_a_mucosa(text: str, concepts: Sequence[Any], sentences: Sequence[Any]) -> list[Any]:
    """A skin or limb finding in a sentence that names a mucosa and no skin is the mucosa's
    finding: term "mucosal <finding>", no code."""
    findings, mucosa, skin = _words()
    out = []
    for concept in concepts:
        if concept.term in findings and concept.codes:
            sentence = next((text[s.start:s.end] for s in sentences
                             if s.start <= concept.start < s.end), "")
            if mucosa.search(sentence) and not skin.search(sentence):
                concept = replace(concept, term=f"{MUCOSAL}{concept.term}", codes=(),
                                  category="finding")
        out.append(concept)
    return out


def codes_only_a_mucosa_has(concepts: Sequence[Any]) -> set[str]:
    """The bare codes of findings the note names only on a mucosa: a bronchoscopy whose one
    "erythema" is the lobes' is given no L53.9 by any other route (a coded case's phrase, a
    similar description)."""
    findings, _, _ = _words()
    on_mucosa = {findings[c.term[len(MUCOSAL):]] for c in concepts
                 if c.term.startswith(MUCOSAL) and c.term[len(MUCOSAL):] in findings}
    elsewhere = {code for c in concepts for code in c.codes}
    return on_mucosa - elsewhere
