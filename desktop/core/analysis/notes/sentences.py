"""Sentence spans from medspaCy's PyRuSH sentence splitter (plus section-header breaks)."""

from __future__ import annotations

from spacy.tokens import Doc

from desktop.core.analysis.notes.note_analysis import Sentence


def sentences_of(doc: Doc) -> tuple[Sentence, ...]:
    spans = []
    for sent in doc.sents:
        text = sent.text
        if not text.strip():
            continue
        # Trim surrounding whitespace so a highlighted sentence starts on a word.
        lead = len(text) - len(text.lstrip())
        trail = len(text) - len(text.rstrip())
        spans.append(Sentence(sent.start_char + lead, sent.end_char - trail))
    return tuple(spans)
