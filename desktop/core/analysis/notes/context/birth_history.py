"""What a child's birth history says of the pregnancy is the mother's.

"BIRTH HISTORY: ... Mom stated she had a uterine infection during her pregnancy and at the
time of delivery" (MTSamples 3866, a 2-month-old): ConText reads "Mom stated" as the patient's
own history told by a parent, and the infection was the infant's past illness. A birth
history is written only for a child, and a condition it places in the pregnancy
("during her pregnancy", "prenatal", "gestational") is the mother's; the child's own
(prematurity, a NICU stay for feeding problems) are not so placed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from desktop.core.analysis.notes.note_analysis import Concept, Section, Sentence

BIRTH_HISTORY = re.compile(r"\s*(?:birth|perinatal|prenatal|pregnancy)\s+(?:history|hx)\b",
                           re.IGNORECASE)
IN_PREGNANCY = re.compile(
    r"\b(?:during|in|throughout)\s+(?:her|the|this|mom's|mother's)\s+pregnancy\b"
    r"|\bprenatal(?:ly)?\b|\bgestational\b|\bantepartum\b", re.IGNORECASE)
CHILDS_OWN = ("present", "historical", "possible")


def mothers_in_birth_history(text: str, sections: Sequence[Section],
                             sentences: Sequence[Sentence],
                             concepts: list[Concept]) -> list[Concept]:
    """``concepts`` with those a birth history places in the pregnancy made the family's."""
    births = [s for s in sections if s.header and BIRTH_HISTORY.match(s.header)]
    if not births:
        return concepts
    out = []
    for concept in concepts:
        if (concept.assertion in CHILDS_OWN and concept.category in ("problem", "symptom",
                                                                     "finding")
                and any(s.start <= concept.start < s.end for s in births)):
            sentence = next((s for s in sentences if s.start <= concept.start < s.end), None)
            if sentence is not None and IN_PREGNANCY.search(text[sentence.start:sentence.end]):
                concept = replace(concept, assertion="family")
        out.append(concept)
    return out
