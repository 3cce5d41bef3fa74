"""Note summaries a clinician can trust: structured, LLM and plain-language, all grounded.

``run_summary`` is the one entry point the GUI and the CLI use. It reads the patient's notes
from the vault, builds the summary, and stores it as an analysis of kind
``summary.structured``, ``summary.abstractive`` or ``summary.patient``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import desktop
from desktop.core.analysis.summary.abstractive import (
    build_abstractive_result,
    build_summary_messages,
    generate_checked,
)
from desktop.core.analysis.summary.patient import build_patient_messages, build_patient_result
from desktop.core.analysis.summary.rules import RULES_PACK_ID, rules_checksum
from desktop.core.analysis.summary.sources import SourceNote, load_source_notes
from desktop.core.analysis.summary.structured import build_structured_result
from desktop.core.errors import InputError
from desktop.core.provenance import Provenance
from desktop.core.tasks import CancelToken, ProgressFn, no_progress

MODES = ("structured", "abstractive", "patient")

__all__ = ["MODES", "run_summary", "summarise", "structured_provenance", "medication_terms"]


def medication_terms() -> list[str]:
    """Drug names from the notes area's term list, for the grounding drug check."""
    from desktop.core.analysis.notes.rule_files import nlp_resources_dir, read_table

    return [row[0].strip() for row in read_table(nlp_resources_dir() / "terms" / "medications.txt")]


def structured_provenance() -> Provenance:
    """Rule-based provenance: this package's rules.toml plus the note-analysis rule files."""
    from desktop.core.analysis.notes import rules_provenance

    notes_rules = rules_provenance()
    return Provenance(
        pack_id=RULES_PACK_ID,
        version=desktop.__version__,
        checksum=rules_checksum(notes_rules.checksum),
        parameters={
            "rule_files": ["desktop/core/analysis/summary/rules.toml"],
            "note_analysis": {"pack_id": notes_rules.pack_id, "version": notes_rules.version,
                              "checksum": notes_rules.checksum},
        },
    )


def _evidence(result: dict[str, Any]) -> list[dict[str, Any]]:
    seen: set[tuple] = set()
    evidence = []
    for item in result["items"]:
        for span in item["evidence"]:
            key = (span.get("note_id"), span.get("start"), span.get("end"))
            if key not in seen:
                seen.add(key)
                evidence.append(span)
    return evidence


def summarise(
    notes: Sequence[SourceNote],
    runtime: Any,
    *,
    mode: str,
    on_token: Callable[[str], None] | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    max_new_tokens: int = 160,
) -> tuple[dict[str, Any], Provenance]:
    """The result and provenance of one summary of already-loaded notes (not stored)."""
    if mode not in MODES:
        raise InputError(f"Unknown summary type {mode!r}; choose one of {', '.join(MODES)}.")
    if mode == "structured":
        return build_structured_result(notes), structured_provenance()
    out = generate_checked(
        notes,
        runtime,
        build_messages=build_summary_messages if mode == "abstractive" else build_patient_messages,
        mode=mode,
        medication_terms=medication_terms(),
        on_token=on_token,
        progress=progress,
        cancel=cancel,
        max_new_tokens=max_new_tokens,
    )
    build = build_abstractive_result if mode == "abstractive" else build_patient_result
    assert out.provenance is not None  # at least one chunk was generated
    return build(out, notes), out.provenance


def run_summary(
    vault: Any,
    patient_id: int,
    runtime: Any,
    *,
    mode: str = "structured",
    note_ids: Sequence[int] | None = None,
    on_token: Callable[[str], None] | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    max_new_tokens: int = 160,
) -> int:
    """Summarise the patient's notes (all, or ``note_ids``) and store it; returns its id.

    ``mode`` "structured" needs no model (``runtime`` may be None). "abstractive" and
    "patient" stream tokens to ``on_token`` as the model writes (a raw preview), then keep
    only sentences the notes support; the stored result lists the others under "removed".
    Cancelling raises ``Cancelled`` and stores nothing. ``max_new_tokens`` caps each chunk
    (long notes get fewer per chunk so the wait stays bounded).
    """
    if mode not in MODES:
        raise InputError(f"Unknown summary type {mode!r}; choose one of {', '.join(MODES)}.")
    progress = progress or no_progress
    cancel = cancel or CancelToken()
    progress(0.0, "Reading the notes")
    notes = load_source_notes(vault, patient_id, note_ids)
    cancel.raise_if_cancelled()
    result, provenance = summarise(
        notes, runtime, mode=mode, on_token=on_token, progress=progress, cancel=cancel,
        max_new_tokens=max_new_tokens,
    )
    cancel.raise_if_cancelled()
    analysis_id = vault.add_analysis(
        f"summary.{mode}",
        patient_id=patient_id,
        inputs={
            "note_ids": [n.note_id for n in notes],
            "note_sha256": {str(n.note_id): n.sha256 for n in notes},
            "mode": mode,
        },
        provenance=provenance.to_dict(),
        parameters=dict(provenance.parameters),
        result=result,
        evidence=_evidence(result),
    )
    progress(1.0, "Summary saved")
    return analysis_id
