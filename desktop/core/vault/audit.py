"""Hash-chained audit log: who did what to which record, and proof nobody edited it.

Each entry's hash covers its own fields and the previous entry's hash, so changing or
deleting any entry breaks every later link. Deleting entries from the end is caught by
comparing the last id with ``sqlite_sequence`` (AUTOINCREMENT remembers the highest id).
Someone holding the database key can still rewrite the whole chain consistently; the
chain makes casual or partial tampering visible, it is not a signature.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from desktop.core.vault.records import AuditChainReport, AuditEntry

GENESIS_HASH = "0" * 64
_COLUMNS = "id, ts, username, action, record_type, record_id, detail, prev_hash, hash"


def audit_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def entry_hash(
    entry_id: int,
    ts: str,
    username: str,
    action: str,
    record_type: str,
    record_id: int | None,
    detail: str,
    prev_hash: str,
) -> str:
    payload = json.dumps(
        [entry_id, ts, username, action, record_type, record_id, detail, prev_hash],
        ensure_ascii=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


def _last_sequence(conn: Any) -> int:
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").fetchone()
    return int(row[0]) if row else 0


def append(
    conn: Any,
    username: str,
    action: str,
    record_type: str,
    record_id: int | None = None,
    detail: str = "",
) -> int:
    """Add one entry; the caller holds the write transaction."""
    row = conn.execute("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    prev_hash = row[0] if row else GENESIS_HASH
    entry_id = _last_sequence(conn) + 1
    ts = audit_now()
    digest = entry_hash(entry_id, ts, username, action, record_type, record_id, detail, prev_hash)
    conn.execute(
        f"INSERT INTO audit_log ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (entry_id, ts, username, action, record_type, record_id, detail, prev_hash, digest),
    )
    return entry_id


# Record type -> ids of that type that belong to patient ``?``: a patient's trail is every
# entry about any of their records (a decision belongs to the patient of its analysis).
_PATIENT_RECORDS = {
    "patient": "SELECT ?",
    "encounter": "SELECT id FROM encounters WHERE patient_id = ?",
    "note": "SELECT id FROM notes WHERE patient_id = ?",
    "image": "SELECT id FROM images WHERE patient_id = ?",
    "analysis": "SELECT id FROM analyses WHERE patient_id = ?",
    "decision": "SELECT d.id FROM decisions d JOIN analyses a ON a.id = d.analysis_id "
                "WHERE a.patient_id = ?",
}


def entries(conn: Any, limit: int | None = 200, record_type: str | None = None,
            record_id: int | None = None, patient_id: int | None = None,
            username: str | None = None, since: str | None = None) -> list[AuditEntry]:
    """Newest first. ``patient_id`` selects everything done to that patient's records;
    ``since`` is an ISO date or time (UTC), compared with the entries' ISO timestamps."""
    where: list[str] = []
    params: list[Any] = []
    for condition, value in (("ts >= ?", since), ("username = ?", username),
                             ("record_type = ?", record_type), ("record_id = ?", record_id)):
        if value is not None:
            where.append(condition)
            params.append(value)
    if patient_id is not None:
        owned = " OR ".join(f"(record_type = '{kind}' AND record_id IN ({ids}))"
                            for kind, ids in _PATIENT_RECORDS.items())
        # ... plus entries that name the patient, and searches whose result list showed
        # them ("ids=3,7,12"): a name on screen is an access.
        where.append(f"({owned} OR detail = ? OR detail LIKE ? "
                     "OR (action = 'search' AND ',' || substr(detail, 5) || ',' LIKE ?))")
        params.extend([patient_id] * len(_PATIENT_RECORDS))
        params.extend([f"patient={patient_id}", f"patient={patient_id} %",
                       f"%,{patient_id},%"])
    sql = f"SELECT {_COLUMNS} FROM audit_log"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [AuditEntry(*row) for row in conn.execute(sql, params)]


def verify(conn: Any) -> AuditChainReport:
    problems: list[str] = []
    prev_hash = GENESIS_HASH
    prev_id = 0
    count = 0
    for row in conn.execute(f"SELECT {_COLUMNS} FROM audit_log ORDER BY id"):
        entry = AuditEntry(*row)
        count += 1
        if entry.id != prev_id + 1:
            problems.append(f"audit entries {prev_id + 1}-{entry.id - 1} are missing")
        if entry.prev_hash != prev_hash:
            problems.append(f"audit entry {entry.id} does not link to the entry before it")
        expected = entry_hash(
            entry.id, entry.ts, entry.username, entry.action, entry.record_type,
            entry.record_id, entry.detail, entry.prev_hash,
        )
        if expected != entry.hash:
            problems.append(f"audit entry {entry.id} was altered after it was written")
        prev_hash, prev_id = entry.hash, entry.id
    last = _last_sequence(conn)
    if last > prev_id:
        problems.append(f"audit entries {prev_id + 1}-{last} were deleted from the end")
    return AuditChainReport(entries=count, problems=problems)
