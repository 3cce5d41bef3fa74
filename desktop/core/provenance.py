"""Provenance and evidence: what every AI output carries so a clinician can check it.

Results are stored as JSON in the vault (``to_dict``/``from_dict``) and shown by the UI
without ever asking the model again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Provenance:
    """Which model (or rule set) produced a result, exactly, and when."""

    pack_id: str  # model pack id, or e.g. "rules:clinicdesk-notes" for rule-based output
    version: str
    checksum: str  # sha256 of the pack's weights / rule files
    parameters: dict[str, Any] = field(default_factory=dict)
    created_at: str = field(default_factory=utc_now)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provenance:
        return cls(**data)


@dataclass(frozen=True)
class NoteSpan:
    """A character range ``[start, end)`` of a stored note's text that supports a claim."""

    note_id: int | None
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NoteSpan:
        return cls(**data)


@dataclass(frozen=True)
class ImageRegion:
    """A box on a stored image (pixel coordinates of the original) that supports a finding."""

    image_id: int | None
    x: int
    y: int
    width: int
    height: int
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImageRegion:
        return cls(**data)
