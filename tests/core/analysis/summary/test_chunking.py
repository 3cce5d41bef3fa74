"""Long notes are cut for the model without tearing sections apart; several notes keep
their dates and come oldest first."""

from __future__ import annotations

import pytest

from desktop.core.analysis.summary.chunking import chunk_note, chunk_notes
from desktop.core.analysis.summary.sources import prepare_note
from desktop.core.errors import InputError


def _long_note(mtsamples_text):
    # note 1329 (oncology follow-up, ~1.3k chars) and 1457 concatenated x2: many sections
    return "\n".join([mtsamples_text("1329"), mtsamples_text("1457")] * 2)


def test_chunks_cover_the_note_in_order_and_keep_sections_whole(mtsamples_text):
    note = prepare_note(_long_note(mtsamples_text), note_id=7, date="2024-02-01")
    chunks = chunk_note(note, max_chars=900)
    assert len(chunks) > 3
    assert all(len(c.text) <= 900 for c in chunks)
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert a.end <= b.start
        assert not note.text[a.end : b.start].strip()  # nothing between chunks is lost
    assert all(c.text == note.text[c.start : c.end] for c in chunks)
    assert all(c.note_id == 7 and c.header == "Note of 2024-02-01" for c in chunks)
    for section in note.analysis.sections:
        if section.end - section.start <= 900 and note.text[section.start : section.end].strip():
            holders = [c for c in chunks if c.start <= section.start and section.end <= c.end]
            assert holders, f"section {section.name} was torn apart"


def test_a_section_longer_than_a_chunk_is_split_between_sentences(mtsamples_text):
    note = prepare_note(mtsamples_text("1329"))
    meds = next(s for s in note.analysis.sections if s.name == "medications")
    size = (meds.end - meds.start) // 2 + 20
    chunks = chunk_note(note, max_chars=size)
    sentence_ends = {s.end for s in note.analysis.sentences} | {meds.end, len(note.text)}
    inside = [c for c in chunks if meds.start <= c.start < meds.end]
    assert inside
    for chunk in chunks:
        assert len(chunk.text) <= size
        if chunk.end < len(note.text) and meds.start < chunk.end < meds.end:
            # a cut inside the section falls at a sentence end (or a space if forced)
            assert chunk.end in sentence_ends or note.text[chunk.end] == " "


def test_several_notes_come_oldest_first_with_their_dates(mtsamples_text):
    newer = prepare_note(mtsamples_text("1457"), note_id=2, date="2024-05-20")
    older = prepare_note(mtsamples_text("1329"), note_id=1, date="2023-11-02")
    chunks = chunk_notes([newer, older], max_chars=5000)
    assert [c.note_id for c in chunks] == [1, 2]
    assert [c.header for c in chunks] == ["Note of 2023-11-02", "Note of 2024-05-20"]


@pytest.mark.parametrize("text", ["", "   \n\t  "])
def test_an_empty_note_is_refused_with_a_clear_message(text):
    with pytest.raises(InputError, match="empty"):
        prepare_note(text)
