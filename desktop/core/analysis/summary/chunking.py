"""Cut notes into model-sized chunks without tearing sections apart.

A small model sees a few thousand characters at most. Chunks are whole sections packed
together in note order; only a section longer than a chunk is split, and then between
sentences. Every chunk keeps its note id, date and character offsets, so what the model
says can be traced back to the note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from desktop.core.analysis.summary.sources import SourceNote

DEFAULT_CHUNK_CHARS = 3000


@dataclass(frozen=True)
class NoteChunk:
    note_id: int | None
    date: str
    start: int
    end: int
    text: str
    sections: tuple[str, ...]

    @property
    def header(self) -> str:
        return f"Note of {self.date}" if self.date else "Note"


def _section_units(note: SourceNote) -> list[tuple[int, int, str]]:
    """(start, end, name) blocks covering the note: each section, plus any text before."""
    sections = sorted(note.analysis.sections, key=lambda s: s.start)
    units: list[tuple[int, int, str]] = []
    cursor = 0
    for section in sections:
        if section.start > cursor and note.text[cursor : section.start].strip():
            units.append((cursor, section.start, ""))
        start = max(section.start, cursor)
        if section.end > start:
            units.append((start, section.end, section.name))
            cursor = section.end
    if cursor < len(note.text) and note.text[cursor:].strip():
        units.append((cursor, len(note.text), ""))
    return units


def _split_long(
    note: SourceNote, start: int, end: int, max_chars: int
) -> list[tuple[int, int]]:
    """Split [start, end) between sentences (or, for a giant sentence, at spaces)."""
    cuts = [s.end for s in note.analysis.sentences if start < s.end < end]
    pieces: list[tuple[int, int]] = []
    piece_start = start
    last_cut = start
    for cut in [*cuts, end]:
        if cut - piece_start > max_chars and last_cut > piece_start:
            pieces.append((piece_start, last_cut))
            piece_start = last_cut
        last_cut = cut
    pieces.append((piece_start, end))
    out: list[tuple[int, int]] = []
    for a, b in pieces:
        while b - a > max_chars:
            space = note.text.rfind(" ", a + max_chars // 2, a + max_chars)
            cut = space if space > a else a + max_chars
            out.append((a, cut))
            a = cut
        out.append((a, b))
    return out


def chunk_note(note: SourceNote, max_chars: int = DEFAULT_CHUNK_CHARS) -> list[NoteChunk]:
    """Chunks of at most ``max_chars`` that cover the note; sections stay whole if they fit."""
    blocks: list[tuple[int, int, str]] = []
    for start, end, name in _section_units(note):
        if end - start <= max_chars:
            blocks.append((start, end, name))
        else:
            blocks.extend((a, b, name) for a, b in _split_long(note, start, end, max_chars))
    chunks: list[NoteChunk] = []
    group: list[tuple[int, int, str]] = []

    def flush() -> None:
        if not group:
            return
        a, b = group[0][0], group[-1][1]
        names = tuple(dict.fromkeys(name for _, _, name in group if name))
        chunks.append(NoteChunk(note.note_id, note.date, a, b, note.text[a:b], names))
        group.clear()

    for block in blocks:
        if group and block[1] - group[0][0] > max_chars:
            flush()
        group.append(block)
    flush()
    return chunks


def chunk_notes(
    notes: Sequence[SourceNote], max_chars: int = DEFAULT_CHUNK_CHARS
) -> list[NoteChunk]:
    """Chunks of several notes of one patient, oldest note first, each with its date."""
    ordered = sorted(notes, key=lambda n: (n.date, n.note_id or 0))
    return [chunk for note in ordered for chunk in chunk_note(note, max_chars)]
