"""A symptom named as what an allergen does is the allergy's past reaction, not a complaint.

"Penicillin allergy causes hives", "allergic to sulfa (rash)", "allergic to codeine, which
causes nausea": the hives, rash and nausea describe the allergy history. Coded as the
patient's present problems they sent an allergy list into the diagnoses. An allergic
reaction happening now ("presents with hives after amoxicillin", "allergic reaction with
lip swelling") names no cause word after the allergy, so it stays present.
"""

from __future__ import annotations

import re

# An allergy stated: "X allergy", "allergies", "intolerance", "allergic to X", "X-allergic",
# but not the "allergic" of a condition's name ("allergic rhinitis causes sneezing").
ALLERGY_STATED = re.compile(
    r"\ballerg(?:y|ies)\b|\bintoleran\w*|\ballergic(?=\s+to\b|\s*[^\w\s]|\s*$)"
    # "She has allergic reaction to Cosopt", "adverse reactions to penicillin" (MTSamples 4464)
    r"|\b(?:allergic|adverse|drug)\s+reactions?(?=\s+to\b)",
    re.IGNORECASE,
)
# Before the cue: its "allergies" is a condition the patient treats ("seasonal allergies, on
# Zyrtec"), not an allergen's entry.
ALLERGIC_CONDITION = re.compile(
    r"\b(?:seasonal|environmental|perennial|nasal|pollen|dust|mold|grass|ragweed)\s*-?\s*$",
    re.IGNORECASE,
)
# ICD-10-CM codes of allergic conditions a patient has (allergic rhinitis, hay fever,
# seasonal allergies; allergic conjunctivitis): listed among the allergies, they are current
# conditions, not a reaction the allergy list records.
ALLERGIC_CONDITION_CODES = ("J30", "H10.1")


def is_allergic_condition(codes: tuple[str, ...]) -> bool:
    return any(code.startswith(ALLERGIC_CONDITION_CODES) for code in codes)


# After the allergy cue and before the symptom, in the same clause: an open bracket or a
# word saying what the allergen does.
_REACTION_LINK = re.compile(
    r"\([^()]*$|\b(?:causes?|caused|causing|gives?|gave|results? in|resulted in)\b[^;:.]*$",
    re.IGNORECASE,
)
_MAX_GAP = 60  # characters from the cue to the symptom: beyond that it is another clause


def is_allergy_reaction(sentence: str, start: int) -> bool:
    """True when the symptom at ``start`` (an offset into ``sentence``) is named as the
    reaction of an allergy stated earlier in the sentence."""
    cues = list(ALLERGY_STATED.finditer(sentence, 0, start))
    if not cues:
        return False
    gap = sentence[cues[-1].end():start]
    return len(gap) <= _MAX_GAP and _REACTION_LINK.search(gap) is not None
