"""Note understanding: sections, sentences and clinical concepts with their assertion.

``analyse_note(text)`` is the entry point; everything it returns indexes into ``text``.
"""

from desktop.core.analysis.notes.note_analysis import (
    ASSERTIONS,
    CATEGORIES,
    Concept,
    NoteAnalysis,
    Section,
    Sentence,
)
from desktop.core.analysis.notes.pipeline import analyse_note, rules_provenance

__all__ = [
    "ASSERTIONS",
    "CATEGORIES",
    "Concept",
    "NoteAnalysis",
    "Section",
    "Sentence",
    "analyse_note",
    "rules_provenance",
]
