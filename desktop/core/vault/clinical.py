"""Patient records in the vault: patients, encounters, notes, images, analyses, decisions.

Mixed into ``Vault``. Every method runs in one transaction that also appends the audit
entry, so reads are audited too ("who looked at this patient") and nothing is half-written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from datetime import date, datetime
from typing import Any

from desktop.core.errors import InputError
from desktop.core.vault.audit import audit_now
from desktop.core.vault.errors import RecordNotFoundError
from desktop.core.vault.records import (
    DECISIONS,
    Analysis,
    Decision,
    Encounter,
    ImageRecord,
    Note,
    Patient,
)

PATIENT_FIELDS = ("name", "birth_date", "sex", "mrn")
_PATIENT_COLS = "id, name, birth_date, sex, mrn, created_at, updated_at"
_NOTE_COLS = ("id, patient_id, encounter_id, text, kind, source_name, sha256, note_date, "
              "created_at, source_sha256, created_by")
_IMAGE_COLS = ("id, patient_id, {data}, source_name, media_type, metadata, sha256, created_at, "
               "encounter_id, size, created_by")
_ANALYSIS_COLS = ("id, kind, patient_id, inputs, provenance, parameters, status, result, "
                  "evidence, created_at, created_by")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _iso(value: str | date | datetime | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


def _dumps(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"This result cannot be stored (not JSON data): {exc}") from exc


def _ids(ids: list[int]) -> str:
    return "ids=" + ",".join(str(i) for i in ids)


class ClinicalRecords:
    """Patient-record methods of ``Vault`` (see store.py for ``_write`` and ``_audit``)."""

    user: Any

    def _write(self) -> contextlib.AbstractContextManager[Any]:  # provided by Vault
        raise NotImplementedError

    def _audit(self, conn: Any, action: str, record_type: str, record_id: int | None = None,
               detail: str = "") -> None:
        raise NotImplementedError

    @staticmethod
    def _require(conn: Any, table: str, record_id: int | None, label: str) -> None:
        if record_id is None:
            return
        if conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (record_id,)).fetchone() is None:
            raise RecordNotFoundError(f"{label} {record_id} is not in this vault.")

    # --- patients ---------------------------------------------------------------------
    def add_patient(self, name: str, *, birth_date: str | date | None = None,
                    sex: str | None = None, mrn: str | None = None) -> int:
        if not name or not name.strip():
            raise InputError("A patient needs a name.")
        now = audit_now()
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO patients (name, birth_date, sex, mrn, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (name.strip(), _iso(birth_date), sex, mrn, now, now),
            )
            self._audit(conn, "create", "patient", cur.lastrowid)
            return int(cur.lastrowid)

    def update_patient(self, patient_id: int, **fields: Any) -> Patient:
        unknown = set(fields) - set(PATIENT_FIELDS)
        if unknown:
            raise InputError(f"Patients have no field(s) {', '.join(sorted(unknown))}.")
        if "name" in fields and not (fields["name"] or "").strip():
            raise InputError("A patient needs a name.")
        with self._write() as conn:
            self._require(conn, "patients", patient_id, "Patient")
            if fields:
                values = [_iso(v) if k == "birth_date" else v for k, v in fields.items()]
                sets = ", ".join(f"{k} = ?" for k in fields)
                conn.execute(f"UPDATE patients SET {sets}, updated_at = ? WHERE id = ?",
                             (*values, audit_now(), patient_id))
            self._audit(conn, "update", "patient", patient_id, ",".join(sorted(fields)))
            row = conn.execute(f"SELECT {_PATIENT_COLS} FROM patients WHERE id = ?",
                               (patient_id,)).fetchone()
            return Patient(*row)

    def get_patient(self, patient_id: int) -> Patient:
        with self._write() as conn:
            row = conn.execute(f"SELECT {_PATIENT_COLS} FROM patients WHERE id = ?",
                               (patient_id,)).fetchone()
            if row is None:
                raise RecordNotFoundError(f"Patient {patient_id} is not in this vault.")
            self._audit(conn, "read", "patient", patient_id)
            return Patient(*row)

    def search_patients(self, query: str = "", limit: int = 500) -> list[Patient]:
        """Patients whose name or MRN contains ``query`` (case-insensitive), by name."""
        escaped = query.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        with self._write() as conn:
            rows = conn.execute(
                f"SELECT {_PATIENT_COLS} FROM patients "
                "WHERE name LIKE ? ESCAPE '\\' OR mrn LIKE ? ESCAPE '\\' "
                "ORDER BY name COLLATE NOCASE, id LIMIT ?",
                (pattern, pattern, limit),
            ).fetchall()
            patients = [Patient(*row) for row in rows]
            # The query itself may be a name, so only the ids shown are recorded.
            self._audit(conn, "search", "patient", None, _ids([p.id for p in patients]))
            return patients

    # --- encounters -------------------------------------------------------------------
    def add_encounter(self, patient_id: int, date: str | date, reason: str = "") -> int:
        with self._write() as conn:
            self._require(conn, "patients", patient_id, "Patient")
            cur = conn.execute(
                "INSERT INTO encounters (patient_id, date, reason, created_at) VALUES (?,?,?,?)",
                (patient_id, _iso(date), reason, audit_now()),
            )
            self._audit(conn, "create", "encounter", cur.lastrowid, f"patient={patient_id}")
            return int(cur.lastrowid)

    def list_encounters(self, patient_id: int) -> list[Encounter]:
        with self._write() as conn:
            rows = conn.execute(
                "SELECT id, patient_id, date, reason, created_at FROM encounters "
                "WHERE patient_id = ? ORDER BY date, id", (patient_id,),
            ).fetchall()
            self._audit(conn, "list_encounters", "patient", patient_id)
            return [Encounter(*row) for row in rows]

    # --- notes ------------------------------------------------------------------------
    def add_note(self, patient_id: int, text: str, *, encounter_id: int | None = None,
                 kind: str = "text", source_name: str = "", source_bytes: bytes | None = None,
                 note_date: str | date | None = None) -> int:
        if not isinstance(text, str) or not text.strip():
            raise InputError("The note is empty; nothing was saved.")
        source_sha = _sha256(source_bytes) if source_bytes is not None else None
        with self._write() as conn:
            self._require(conn, "patients", patient_id, "Patient")
            self._require(conn, "encounters", encounter_id, "Encounter")
            cur = conn.execute(
                "INSERT INTO notes (patient_id, encounter_id, text, kind, source_name, "
                "source_bytes, sha256, source_sha256, note_date, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (patient_id, encounter_id, text, kind, source_name, source_bytes,
                 _sha256(text.encode("utf-8")), source_sha, _iso(note_date), audit_now(),
                 self.user.username),
            )
            self._audit(conn, "create", "note", cur.lastrowid, f"patient={patient_id}")
            return int(cur.lastrowid)

    def get_note(self, note_id: int) -> Note:
        with self._write() as conn:
            row = conn.execute(f"SELECT {_NOTE_COLS} FROM notes WHERE id = ?",
                               (note_id,)).fetchone()
            if row is None:
                raise RecordNotFoundError(f"Note {note_id} is not in this vault.")
            self._audit(conn, "read", "note", note_id, f"patient={row[1]}")
            return Note(*row)

    def list_notes(self, patient_id: int) -> list[Note]:
        with self._write() as conn:
            rows = conn.execute(
                f"SELECT {_NOTE_COLS} FROM notes WHERE patient_id = ? "
                "ORDER BY coalesce(note_date, created_at), id", (patient_id,),
            ).fetchall()
            notes = [Note(*row) for row in rows]
            self._audit(conn, "list_notes", "patient", patient_id, _ids([n.id for n in notes]))
            return notes

    def get_note_source(self, note_id: int) -> bytes | None:
        with self._write() as conn:
            row = conn.execute("SELECT patient_id, source_bytes FROM notes WHERE id = ?",
                               (note_id,)).fetchone()
            if row is None:
                raise RecordNotFoundError(f"Note {note_id} is not in this vault.")
            self._audit(conn, "read_source", "note", note_id, f"patient={row[0]}")
            return None if row[1] is None else bytes(row[1])

    # --- images -----------------------------------------------------------------------
    def add_image(self, patient_id: int, data: bytes, *, encounter_id: int | None = None,
                  source_name: str = "", media_type: str = "",
                  metadata: dict[str, Any] | None = None) -> int:
        if not data:
            raise InputError("The image is empty; nothing was saved.")
        data = bytes(data)
        with self._write() as conn:
            self._require(conn, "patients", patient_id, "Patient")
            self._require(conn, "encounters", encounter_id, "Encounter")
            cur = conn.execute(
                "INSERT INTO images (patient_id, encounter_id, data, source_name, media_type, "
                "metadata, sha256, size, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (patient_id, encounter_id, data, source_name, media_type,
                 _dumps(metadata or {}), _sha256(data), len(data), audit_now(),
                 self.user.username),
            )
            self._audit(conn, "create", "image", cur.lastrowid, f"patient={patient_id}")
            return int(cur.lastrowid)

    @staticmethod
    def _image(row: tuple[Any, ...]) -> ImageRecord:
        values = list(row)
        values[2] = None if values[2] is None else bytes(values[2])
        values[5] = json.loads(values[5])
        return ImageRecord(*values)

    def get_image(self, image_id: int) -> ImageRecord:
        with self._write() as conn:
            row = conn.execute(
                f"SELECT {_IMAGE_COLS.format(data='data')} FROM images WHERE id = ?",
                (image_id,),
            ).fetchone()
            if row is None:
                raise RecordNotFoundError(f"Image {image_id} is not in this vault.")
            self._audit(conn, "read", "image", image_id, f"patient={row[1]}")
            return self._image(row)

    def list_images(self, patient_id: int) -> list[ImageRecord]:
        """Image records without pixel data (``data`` is None); use get_image for bytes."""
        with self._write() as conn:
            rows = conn.execute(
                f"SELECT {_IMAGE_COLS.format(data='NULL')} FROM images WHERE patient_id = ? "
                "ORDER BY id", (patient_id,),
            ).fetchall()
            images = [self._image(row) for row in rows]
            self._audit(conn, "list_images", "patient", patient_id, _ids([i.id for i in images]))
            return images

    # --- analyses ---------------------------------------------------------------------
    def add_analysis(self, kind: str, *, patient_id: int, inputs: dict[str, Any],
                     provenance: dict[str, Any], parameters: dict[str, Any],
                     result: dict[str, Any], evidence: list[dict[str, Any]],
                     status: str = "done") -> int:
        with self._write() as conn:
            self._require(conn, "patients", patient_id, "Patient")
            cur = conn.execute(
                "INSERT INTO analyses (kind, patient_id, inputs, provenance, parameters, status, "
                "result, evidence, created_at, created_by) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (kind, patient_id, _dumps(inputs), _dumps(provenance), _dumps(parameters),
                 status, _dumps(result), _dumps(evidence), audit_now(), self.user.username),
            )
            self._audit(conn, "create", "analysis", cur.lastrowid,
                        f"patient={patient_id} kind={kind}")
            return int(cur.lastrowid)

    def update_analysis(self, analysis_id: int, *, status: str | None = None,
                        result: dict[str, Any] | None = None,
                        evidence: list[dict[str, Any]] | None = None) -> None:
        """For analyses stored as "running" first and completed (or failed) later."""
        changes = {k: v for k, v in (("status", status), ("result", result),
                                     ("evidence", evidence)) if v is not None}
        with self._write() as conn:
            self._require(conn, "analyses", analysis_id, "Analysis")
            for column, value in changes.items():
                stored = value if column == "status" else _dumps(value)
                conn.execute(f"UPDATE analyses SET {column} = ? WHERE id = ?",
                             (stored, analysis_id))
            self._audit(conn, "update", "analysis", analysis_id, ",".join(sorted(changes)))

    @staticmethod
    def _analysis(row: tuple[Any, ...]) -> Analysis:
        values = list(row)
        for index in (3, 4, 5, 7, 8):
            values[index] = json.loads(values[index])
        return Analysis(*values)

    def get_analysis(self, analysis_id: int) -> Analysis:
        with self._write() as conn:
            row = conn.execute(f"SELECT {_ANALYSIS_COLS} FROM analyses WHERE id = ?",
                               (analysis_id,)).fetchone()
            if row is None:
                raise RecordNotFoundError(f"Analysis {analysis_id} is not in this vault.")
            self._audit(conn, "read", "analysis", analysis_id, f"patient={row[2]}")
            return self._analysis(row)

    def list_analyses(self, patient_id: int, kind: str | None = None) -> list[Analysis]:
        """Newest first."""
        sql = f"SELECT {_ANALYSIS_COLS} FROM analyses WHERE patient_id = ?"
        params: list[Any] = [patient_id]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        with self._write() as conn:
            rows = conn.execute(sql + " ORDER BY id DESC", params).fetchall()
            analyses = [self._analysis(row) for row in rows]
            self._audit(conn, "list_analyses", "patient", patient_id,
                        _ids([a.id for a in analyses]))
            return analyses

    # --- decisions --------------------------------------------------------------------
    def record_decision(self, analysis_id: int, decision: str, *,
                        edited_result: dict[str, Any] | None = None, comment: str = "") -> int:
        if decision not in DECISIONS:
            raise InputError(f"A decision is one of {', '.join(DECISIONS)}, not '{decision}'.")
        if decision == "edited" and edited_result is None:
            raise InputError("An edited decision needs the edited result.")
        with self._write() as conn:
            self._require(conn, "analyses", analysis_id, "Analysis")
            cur = conn.execute(
                "INSERT INTO decisions (analysis_id, decision, edited_result, comment, username, "
                "decided_at) VALUES (?, ?, ?, ?, ?, ?)",
                (analysis_id, decision,
                 None if edited_result is None else _dumps(edited_result),
                 comment, self.user.username, audit_now()),
            )
            self._audit(conn, decision, "decision", cur.lastrowid, f"analysis={analysis_id}")
            return int(cur.lastrowid)

    def list_decisions(self, analysis_id: int) -> list[Decision]:
        """Oldest first: the history of what clinicians decided about one result."""
        with self._write() as conn:
            rows = conn.execute(
                "SELECT id, analysis_id, decision, edited_result, comment, username, decided_at "
                "FROM decisions WHERE analysis_id = ? ORDER BY id", (analysis_id,),
            ).fetchall()
            self._audit(conn, "list_decisions", "analysis", analysis_id)
            return [Decision(r[0], r[1], r[2], None if r[3] is None else json.loads(r[3]),
                             r[4], r[5], r[6]) for r in rows]

    def latest_decision(self, analysis_id: int) -> Decision | None:
        decisions = self.list_decisions(analysis_id)
        return decisions[-1] if decisions else None
