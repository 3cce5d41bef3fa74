"""A plain-language explanation for the patient, grounded exactly like the LLM summary.

Plain words are allowed to differ from the note's terms (the checker knows common lay
terms, e.g. "high blood pressure" for hypertension), but numbers, drug names, problems and
negations must still be those of the note.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from desktop.core.analysis.summary.abstractive import (
    CheckedGeneration,
    checked_result,
    chunk_messages,
)
from desktop.core.analysis.summary.chunking import NoteChunk
from desktop.core.analysis.summary.sources import SourceNote

PATIENT_SYSTEM = (
    "You explain a doctor's note to the patient. Use plain, everyday words and short "
    "sentences. Speak to the patient as 'you'. Use only facts written in the note. "
    "Keep the names of medicines exactly as written."
)
PATIENT_TASK = "Explain this note to the patient in 3 short, simple sentences."


def build_patient_messages(chunk: NoteChunk) -> list[dict[str, str]]:
    return chunk_messages(PATIENT_SYSTEM, PATIENT_TASK, chunk)


def build_patient_result(out: CheckedGeneration, notes: Sequence[SourceNote]) -> dict[str, Any]:
    result = checked_result(
        out, notes, title="Explanation for the patient", category="explanation"
    )
    result["audience"] = "patient"
    return result
