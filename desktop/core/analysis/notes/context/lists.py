"""A numbered list takes the cue of the line that introduces it.

"Potential complications include, but are not limited to:\n1. Infection.\n2. Deep venous
thrombosis." ConText's scope ends with its sentence, so every item read as present: the DVT
a urologist lists as a risk of prostatectomy topped the differential of four notes. The items
of a list whose introduction (a sentence ending in a colon, "including" or "limited to") holds
a negation, hypothetical or possibility cue ("denies the following:", "rule out:") get that
cue's assertion; so do the items of a list after a colon within one sentence, separated by
semicolons ("the possible risks include:  irritation ...; respiratory depression ...").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from desktop.core.analysis.notes.note_analysis import Scope, Section, Sentence

# "1." / "2)" opening an item, or closing the sentence before it when a note's line breaks
# were flattened to commas ("... not limited to:,1.  Infection.,2.  Bleeding.").
ITEM_OPENS = re.compile(r"^[,;\s]*\d{1,2}[.)](?=\s|$)")
NEXT_ITEM_NUMBER = re.compile(r"(?:^|[,;\s])\d{1,2}[.)]\s*$")
# "... include, but are not limited to:" (or "... limited to,," where line breaks became commas)
INTRODUCES_A_LIST = re.compile(r"(?::|\b(?:to|include|includes|including|following))"
                               r"[,;:\s]*(?:1[.)])?\s*$", re.IGNORECASE)
SENTENCE_END = re.compile(r"[.!?](?=[\s,;])")
# A colon that opens a list in running text (not a time such as "10:30").
INLINE_LIST = re.compile(r":(?=\s)")
# Family history has its own section; a list under a family cue is rare and ambiguous.
LIST_ASSERTIONS = ("negated", "hypothetical", "possible")
MAX_ITEMS = 30


def list_scopes(text: str, sentences: Sequence[Sentence], scopes: Iterable[Scope],
                sections: Iterable[Section]) -> tuple[Scope, ...]:
    """Scopes over the items of numbered lists whose introduction holds a cue."""
    cues = sorted((s for s in scopes if s.assertion in LIST_ASSERTIONS), key=lambda s: s.start)
    headers = sorted(s.start for s in sections if s.header)
    out: list[Scope] = []
    for i, intro in enumerate(sentences):
        opening = INTRODUCES_A_LIST.search(text[intro.start:intro.end])
        if opening is None:
            continue
        # The cue must be in the clause that opens the list, not in a sentence the splitter
        # ran into a flattened header: "No pericardial effusion.,DOPPLER:,1.  Trace MR."
        inside = [c for c in cues if intro.start <= c.start < intro.end
                  and not SENTENCE_END.search(text[c.start:intro.start + opening.start()])]
        if not inside:
            continue
        assertion = inside[-1].assertion  # the cue nearest the list
        previous = text[intro.start:intro.end]
        for item in sentences[i + 1:i + 1 + MAX_ITEMS]:
            item_text = text[item.start:item.end]
            if item.start in headers:
                break
            if not (ITEM_OPENS.match(item_text) or NEXT_ITEM_NUMBER.search(previous)):
                break
            header = next((h for h in headers if item.start < h < item.end), item.end)
            out.append(Scope(assertion, item.start, header))
            if header < item.end:
                break
            previous = item_text
    return (*out, *_inline_list_scopes(text, sentences, cues))


def _inline_list_scopes(text: str, sentences: Sequence[Sentence],
                        cues: Sequence[Scope]) -> list[Scope]:
    """Scopes over a list within one sentence, after a colon, whose items end in semicolons.

    "the possible risks include:  irritation of the nasal mucosa, which can be associated with
    some bleeding; ... respiratory depression from sedation; and ..." ConText's scope stops
    at "which" and at each semicolon, so the later risks read as present.
    """
    out: list[Scope] = []
    for sentence in sentences:
        for found in INLINE_LIST.finditer(text, sentence.start, sentence.end):
            if ";" not in text[found.end():sentence.end]:
                break
            colon = found.start()
            # The cue's own scope reaches the colon: the list is what it speaks of.
            inside = [c for c in cues if sentence.start <= c.start < colon < c.end]
            if inside:
                out.append(Scope(inside[-1].assertion, found.end(), sentence.end))
                break
    return out


def listed_assertion(start: int, end: int, scopes: Sequence[Scope]) -> str | None:
    """The assertion of the list item holding ``[start, end)``, if any."""
    return next((s.assertion for s in scopes if s.start <= start and end <= s.end), None)
