"""A drug the plan starts reaches every drug of the same order, doses and all.

"We will start Lovenox 1 mg per kg subcu daily and Coumadin 5 mg p.o. daily": both drugs are
planned, though Coumadin is nine words after the cue. The cue ("may start", "plan to start",
"will consider adding"...) reaches a drug only through other drugs, their doses and list
words; "we will start metformin and continue aspirin" leaves the aspirin taken.
"""

from __future__ import annotations

from spacy.tokens import Span

from desktop.core.analysis.notes.context.considered import tokens_of

# The curated ConText rule (context_rules_curated.json) this check is attached to.
PLANNED_DRUG_CUES = frozenset({"may start"})
# Words of a dose or of the order itself: "on low-dose", "1 mg per kg subcu daily", "p.o.".
ORDER_WORDS = frozenset({
    "and", "or", ",", ".", "/", "-", "plus", "then", "also", "the", "a", "an", "patient",
    "him", "her", "them", "on", "with", "of", "low", "dose", "low-dose", "course", "trial",
    "therapy", "treatment", "mg", "mcg", "g", "gm", "kg", "ml", "units", "unit", "iu", "meq",
    "per", "/kg", "subcu", "subq", "sc", "sq", "iv", "im", "po", "p.o", "oral", "orally", "by",
    "mouth", "daily", "once", "twice", "day", "nightly", "at", "bedtime", "weekly", "every",
    "hours", "q.d", "qd", "b.i.d", "bid", "t.i.d", "tid", "q.i.d", "qid", "q.h.s", "qhs", "h.s",
    "hs", "prn", "p.r.n", "as", "needed", "tablet", "tablets", "capsule", "capsules",
})  # without a final "." ("b.i.d." is written with or without it)


def only_drugs_and_doses_between(target: Span, cue: Span, between: Span) -> bool:
    """True when every word between ``cue`` and ``target`` is another drug, a dose or an order
    word; False for "start metformin and continue aspirin"."""
    drug_tokens = tokens_of(target.doc, frozenset({"MEDICATION"}))
    return all(
        token.i in drug_tokens or token.like_num or token.is_space
        or (token.lower_.rstrip(".") or token.lower_) in ORDER_WORDS
        for token in between
        if not cue.start <= token.i < cue.end
    )
