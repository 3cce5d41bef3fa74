"""The LLM summary: streamed to the caller token by token, then checked sentence by sentence.

The raw stream is only a preview (the UI labels it "checking…"). What is returned and
stored is the checked version: supported sentences as items with their note spans, and the
unsupported ones under "removed" with the reason, never shown as fact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from desktop.core.analysis.summary.chunking import DEFAULT_CHUNK_CHARS, NoteChunk, chunk_notes
from desktop.core.analysis.summary.grounding import GroundingChecker, SentenceCheck
from desktop.core.analysis.summary.sources import SourceNote
from desktop.core.provenance import Provenance
from desktop.core.tasks import Cancelled, CancelToken, ProgressFn, no_progress

TokenFn = Callable[[str], None]

SUMMARY_SYSTEM = (
    "You are a careful clinical assistant. You summarise clinical notes for a doctor. "
    "Use only facts written in the note. Never add facts, numbers or drugs."
)
SUMMARY_TASK = "Summarise this clinical note in 3 short sentences."


def chunk_messages(system: str, task: str, chunk: NoteChunk) -> list[dict[str, str]]:
    """Chat messages: the instructions, then the chunk under its header, then the task."""
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": f"{chunk.header}:\n{chunk.text.strip()}\n\n{task}"},
    ]


def build_summary_messages(chunk: NoteChunk) -> list[dict[str, str]]:
    """Chat messages asking for a short clinical summary of one chunk."""
    return chunk_messages(SUMMARY_SYSTEM, SUMMARY_TASK, chunk)


@dataclass
class CheckedGeneration:
    """Everything a grounded generation run produced, ready to store."""

    kept: list[tuple[NoteChunk, SentenceCheck]] = field(default_factory=list)
    removed: list[tuple[NoteChunk, SentenceCheck]] = field(default_factory=list)
    raw_texts: list[str] = field(default_factory=list)
    provenance: Provenance | None = None
    stopped_early: bool = False


def generate_checked(
    notes: Sequence[SourceNote],
    runtime: Any,
    *,
    build_messages: Callable[[NoteChunk], list[dict[str, str]]] = build_summary_messages,
    mode: str = "abstractive",
    medication_terms: Sequence[str] = (),
    on_token: TokenFn | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    max_new_tokens: int = 160,
    chunk_chars: int = DEFAULT_CHUNK_CHARS,
) -> CheckedGeneration:
    """Generate for every chunk of the notes (oldest first), streaming, then check.

    Raises ``Cancelled`` (nothing is kept) when ``cancel`` fires.
    """
    progress = progress or no_progress
    cancel = cancel or CancelToken()
    progress(0.02, "Loading the language model")
    generator = runtime.generator()
    embedder = runtime.embedder()
    cancel.raise_if_cancelled()
    progress(0.05, "Reading the note")
    checker = GroundingChecker(notes, embedder, mode=mode, medication_terms=medication_terms)
    chunks = chunk_notes(notes, chunk_chars)
    out = CheckedGeneration()
    seen: set[str] = set()
    several = len(chunks) > 1
    # A long note is many chunks: shorter answers per chunk keep the wait bounded.
    per_chunk = min(max_new_tokens, max(64, 2 * max_new_tokens // len(chunks)))
    for index, chunk in enumerate(chunks):
        cancel.raise_if_cancelled()
        progress(0.1 + 0.8 * index / len(chunks), f"Writing part {index + 1} of {len(chunks)}")
        if on_token and several:
            on_token(f"\n[{chunk.header}]\n" if index else f"[{chunk.header}]\n")
        result = generator.generate(
            build_messages(chunk),
            max_new_tokens=per_chunk,
            on_token=on_token,
            cancel=cancel,
        )
        cancel.raise_if_cancelled()
        if result.stopped_early and cancel.cancelled:
            raise Cancelled()
        out.provenance = out.provenance or result.provenance
        out.raw_texts.append(result.text)
        progress(0.1 + 0.8 * (index + 0.9) / len(chunks), "Checking against the note")
        for check in checker.check(result.text, truncated=result.stopped_early):
            key = check.text.lower()
            if key in seen:  # small models repeat themselves; once is enough
                continue
            seen.add(key)
            (out.kept if check.supported else out.removed).append((chunk, check))
    if out.provenance is not None:
        out.provenance = replace(
            out.provenance,
            parameters={
                **out.provenance.parameters,
                "max_new_tokens": per_chunk,
                "chunk_chars": chunk_chars,
                "chunks": len(chunks),
                "similarity_threshold": checker.threshold,
                "embedder": embedder.provenance.to_dict(),
            },
        )
    progress(0.95, "Saving")
    return out


def removal_notice(kept: int, removed: int, *, what: str = "sentence") -> str:
    """The line the pane shows above a checked summary."""
    if removed == 0:
        return (
            f"Every {what} was checked against the note and is supported. "
            "Suggestions only — confirm clinically."
        )
    plural = "s" if removed != 1 else ""
    if kept == 0:
        return (
            f"All {removed} generated {what}{plural} were unsupported by the note and were "
            "removed; use the structured summary instead."
        )
    return (
        f"{removed} unsupported {what}{plural} removed (not shown as fact; listed under "
        "Removed for review). Suggestions only — confirm clinically."
    )


def checked_result(
    out: CheckedGeneration, notes: Sequence[SourceNote], *, title: str, category: str
) -> dict[str, Any]:
    """The stored result shape for a checked generation."""
    items = [
        {
            "label": check.text,
            "detail": chunk.header,
            "category": category,
            "score": round(check.similarity, 3),
            "supported": True,
            "evidence": [span.to_dict() for span in check.evidence],
        }
        for chunk, check in out.kept
    ]
    removed = [
        {
            "text": check.text,
            "reason": check.reason,
            "detail": chunk.header,
            "supported": False,
            "label": "Unsupported — removed, not a fact",
        }
        for chunk, check in out.removed
    ]
    return {
        "title": title,
        "notice": removal_notice(len(items), len(removed)),
        "refusal": None,
        "items": items,
        "removed": removed,
        "notes": [{"note_id": n.note_id, "date": n.date} for n in notes],
    }


def build_abstractive_result(out: CheckedGeneration, notes: Sequence[SourceNote]) -> dict:
    return checked_result(out, notes, title="Summary (language model)", category="summary")
