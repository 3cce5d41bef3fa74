"""Plain records returned by the vault. Immutable; the UI and analyses only read them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROLES = ("clinician", "admin")
DECISIONS = ("accepted", "edited", "rejected")


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    role: str = "clinician"
    created_at: str = ""
    revoked_at: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class Patient:
    id: int
    name: str
    birth_date: str | None = None
    sex: str | None = None
    mrn: str | None = None
    created_at: str = ""
    updated_at: str = ""


@dataclass(frozen=True)
class Encounter:
    id: int
    patient_id: int
    date: str
    reason: str = ""
    created_at: str = ""


@dataclass(frozen=True)
class Note:
    id: int
    patient_id: int
    encounter_id: int | None
    text: str
    kind: str
    source_name: str
    sha256: str  # of ``text`` as UTF-8: what analyses read and evidence spans index into
    note_date: str | None
    created_at: str
    source_sha256: str | None = None  # of the original file bytes, when kept
    created_by: str = ""


@dataclass(frozen=True)
class ImageRecord:
    id: int
    patient_id: int
    data: bytes | None  # None in list_images() results; get_image() fills it
    source_name: str
    media_type: str
    metadata: dict[str, Any]
    sha256: str
    created_at: str
    encounter_id: int | None = None
    size: int = 0
    created_by: str = ""


@dataclass(frozen=True)
class Analysis:
    id: int
    kind: str
    patient_id: int
    inputs: dict[str, Any]
    provenance: dict[str, Any]
    parameters: dict[str, Any]
    status: str
    result: dict[str, Any]
    evidence: list[dict[str, Any]] = field(default_factory=list)
    created_at: str = ""
    created_by: str = ""


@dataclass(frozen=True)
class Decision:
    id: int
    analysis_id: int
    decision: str
    edited_result: dict[str, Any] | None
    comment: str
    username: str
    decided_at: str


@dataclass(frozen=True)
class AuditEntry:
    id: int
    ts: str
    username: str
    action: str
    record_type: str
    record_id: int | None
    detail: str
    prev_hash: str
    hash: str

    def report_row(self) -> tuple[str, str, str, str, str]:
        """When (UTC, to the second), account, action, record, detail: one report line."""
        record = self.record_type + (f" {self.record_id}" if self.record_id is not None else "")
        return (self.ts[:19].replace("T", " "), self.username, self.action, record, self.detail)


@dataclass(frozen=True)
class AuditChainReport:
    """Result of ``verify_audit_chain``; truthy when the chain is intact."""

    entries: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    def __bool__(self) -> bool:
        return self.ok
