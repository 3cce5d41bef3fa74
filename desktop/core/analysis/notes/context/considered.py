"""What the plan considers is possible; a condition a considered test is for stays as it was.

"Consider pneumonia", "consider the possibility of a pulmonary embolism", "infection or
ischemia must be considered": the condition is a working hypothesis, not a diagnosis (and is
not coded as one); "consider insulin": a drug not taken yet. "Consider chest CT for the lung
nodule", "consider physical therapy for back pain": the cue considers a test or a treatment,
and the nodule and the back pain keep the assertion they had. The cue reaches a condition or
drug only through other ones, list words and "the possibility of"/"a diagnosis of".
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

from desktop.core.analysis.notes.concepts.extraction import SPAN_GROUP

# The curated ConText rules (context_rules_curated.json) this check is attached to.
CONSIDERED_CUES = frozenset({"consider", "should be considered"})
ITEM_LABELS = frozenset({"PROBLEM", "SYMPTOM", "FINDING", "MEDICATION"})
LINK_WORDS = frozenset({
    "a", "an", "the", "possible", "possibility", "diagnosis", "diagnoses", "of", "or", "and",
    "versus", "vs", "vs.", ",", "/", "either", "also",
})
# What may follow "X should be considered" when X is the hypothesis ("... considered.",
# "... considered in the differential"); not "the nodule should be considered for resection",
# "his hypertension should be considered controlled".
HYPOTHESIS_ENDS = frozenset({"in", "and", "or", "also", "too", "given", "because", "since",
                             "if", "when"})
# "Consider treating with metronidazole", "a trial of Singulair": a drug's own link words.
DRUG_LINK_WORDS = LINK_WORDS | {"treating", "treatment", "therapy", "with", "trial", "course",
                                "using", "giving"}


def tokens_of(doc: Doc, labels: frozenset[str]) -> set[int]:
    """Indices of the tokens of every concept with one of ``labels`` (upper case)."""
    return {i for span in doc.spans[SPAN_GROUP] if span.label_.upper() in labels
            for i in range(span.start, span.end)}


def only_conditions_between(target: Span, cue: Span, between: Span) -> bool:
    """True when every word between ``cue`` and ``target`` is a link word or part of another
    condition or drug ("consider pneumonia or bronchitis"); False for "consider CT for ...".

    A cue after its target must end the clause or lead to "in the differential"... For a
    backward cue medspaCy's ``between`` runs to the cue's end, so the cue's words are skipped.
    """
    if target.start < cue.start and not _ends_a_hypothesis(cue):
        return False
    item_tokens = tokens_of(target.doc, ITEM_LABELS)
    links = DRUG_LINK_WORDS if target.label_.upper() == "MEDICATION" else LINK_WORDS
    return all(
        token.lower_ in links or token.i in item_tokens
        for token in between
        if not cue.start <= token.i < cue.end
    )


def _ends_a_hypothesis(cue: Span) -> bool:
    doc = cue.doc
    if cue.end >= len(doc):
        return True
    after = doc[cue.end]
    return after.is_punct or after.is_space or after.lower_ in HYPOTHESIS_ENDS
