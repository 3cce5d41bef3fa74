"""The notes a summary is made from: text, date and the note analysis, oldest first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from desktop.core.errors import InputError
from desktop.core.provenance import NoteSpan


@dataclass(frozen=True)
class SourceNote:
    """One stored note prepared for summarising."""

    note_id: int | None
    date: str  # ISO date, or "" when the note has none
    text: str
    analysis: Any  # NoteAnalysis from desktop.core.analysis.notes
    sha256: str = ""  # of the stored text the spans index into (from the vault)

    @property
    def label(self) -> str:
        return f"Note of {self.date}" if self.date else f"Note {self.note_id or ''}".strip()

    def span(self, start: int, end: int) -> NoteSpan:
        """A NoteSpan trimmed of surrounding blanks and stray commas (flattened notes)."""
        while start < end and (self.text[start].isspace() or self.text[start] in ",;"):
            start += 1
        while end > start and (self.text[end - 1].isspace() or self.text[end - 1] in ",;"):
            end -= 1
        return NoteSpan(note_id=self.note_id, start=start, end=end, text=self.text[start:end])

    def sentence_spans(self) -> list[NoteSpan]:
        spans = [self.span(s.start, s.end) for s in self.analysis.sentences]
        return [s for s in spans if s.text]


def _analyse(text: str, note_id: int | None) -> Any:
    # Imported here so the summary package loads even while the notes area is absent.
    from desktop.core.analysis.notes import analyse_note

    return analyse_note(text, note_id=note_id)


def prepare_note(
    text: str, *, note_id: int | None = None, date: str = "", sha256: str = ""
) -> SourceNote:
    """Analyse one note's text; an empty note is refused with a clear message."""
    if not text or not text.strip():
        raise InputError(
            "This note is empty, so there is nothing to summarise. "
            "Import or paste the note text first."
        )
    return SourceNote(note_id, date, text, _analyse(text, note_id), sha256)


def _note_date(note: Any) -> str:
    for value in (getattr(note, "note_date", None), getattr(note, "created_at", None)):
        if value:
            return str(value)[:10]
    return ""


def load_source_notes(
    vault: Any, patient_id: int, note_ids: Sequence[int] | None = None
) -> list[SourceNote]:
    """The patient's notes (all, or ``note_ids``), analysed and ordered oldest first."""
    if note_ids is None:
        notes = list(vault.list_notes(patient_id))
    else:
        notes = [vault.get_note(note_id) for note_id in note_ids]
    foreign = [n.id for n in notes if n.patient_id != patient_id]
    if foreign:
        raise InputError(
            f"Note(s) {', '.join(map(str, foreign))} belong to another patient and cannot be "
            "summarised with this patient's notes."
        )
    if not notes:
        raise InputError("This patient has no notes yet, so there is nothing to summarise.")
    usable = [n for n in notes if n.text and n.text.strip()]
    if not usable:
        raise InputError(
            "The selected notes are empty, so there is nothing to summarise. "
            "Import or paste the note text first."
        )
    usable.sort(key=lambda n: (_note_date(n), n.id))
    return [
        prepare_note(n.text, note_id=n.id, date=_note_date(n), sha256=n.sha256) for n in usable
    ]
