"""Database schema and its migrations, versioned by ``PRAGMA user_version``.

Add a migration by appending a function to ``MIGRATIONS``; never edit a released one. Each
runs inside the caller's transaction, so a failed upgrade leaves the vault as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop.core.vault.errors import VaultTooNewError

Connection = Any  # sqlcipher3.dbapi2.Connection (no stubs)


V1_STATEMENTS = [
    """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('clinician', 'admin')),
        created_at TEXT NOT NULL,
        revoked_at TEXT
    )""",
    """CREATE TABLE patients (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        birth_date TEXT,
        sex TEXT,
        mrn TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE encounters (
        id INTEGER PRIMARY KEY,
        patient_id INTEGER NOT NULL REFERENCES patients(id),
        date TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE notes (
        id INTEGER PRIMARY KEY,
        patient_id INTEGER NOT NULL REFERENCES patients(id),
        encounter_id INTEGER REFERENCES encounters(id),
        text TEXT NOT NULL,
        kind TEXT NOT NULL,
        source_name TEXT NOT NULL DEFAULT '',
        source_bytes BLOB,
        sha256 TEXT NOT NULL,
        source_sha256 TEXT,
        note_date TEXT,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
    )""",
    """CREATE TABLE images (
        id INTEGER PRIMARY KEY,
        patient_id INTEGER NOT NULL REFERENCES patients(id),
        encounter_id INTEGER REFERENCES encounters(id),
        data BLOB NOT NULL,
        source_name TEXT NOT NULL DEFAULT '',
        media_type TEXT NOT NULL DEFAULT '',
        metadata TEXT NOT NULL DEFAULT '{}',
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
    )""",
    """CREATE TABLE analyses (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        patient_id INTEGER NOT NULL REFERENCES patients(id),
        inputs TEXT NOT NULL,
        provenance TEXT NOT NULL,
        parameters TEXT NOT NULL,
        status TEXT NOT NULL,
        result TEXT NOT NULL,
        evidence TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
    )""",
    """CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        analysis_id INTEGER NOT NULL REFERENCES analyses(id),
        decision TEXT NOT NULL CHECK (decision IN ('accepted', 'edited', 'rejected')),
        edited_result TEXT,
        comment TEXT NOT NULL DEFAULT '',
        username TEXT NOT NULL,
        decided_at TEXT NOT NULL
    )""",
    # AUTOINCREMENT keeps sqlite_sequence at the highest id ever used, which lets the
    # chain check notice entries deleted from the end.
    """CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts TEXT NOT NULL,
        username TEXT NOT NULL,
        action TEXT NOT NULL,
        record_type TEXT NOT NULL,
        record_id INTEGER,
        detail TEXT NOT NULL DEFAULT '',
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    )""",
    "CREATE INDEX encounters_patient ON encounters(patient_id)",
    "CREATE INDEX notes_patient ON notes(patient_id)",
    "CREATE INDEX images_patient ON images(patient_id)",
    "CREATE INDEX analyses_patient ON analyses(patient_id, kind)",
    "CREATE INDEX decisions_analysis ON decisions(analysis_id)",
    "CREATE INDEX patients_name ON patients(name COLLATE NOCASE)",
]


def _migrate_to_1(conn: Connection) -> None:
    for statement in V1_STATEMENTS:
        conn.execute(statement)


# MIGRATIONS[i] upgrades a vault from version i to version i + 1.
MIGRATIONS: list[Callable[[Connection], None]] = [_migrate_to_1]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_supported(conn: Connection) -> int:
    """The vault's schema version; ``VaultTooNewError`` if this app cannot read it."""
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise VaultTooNewError(
            f"This vault was saved by a newer version of ClinicDesk (data format {version}; "
            f"this version reads up to {SCHEMA_VERSION}). Update ClinicDesk to open it. "
            "Nothing was changed."
        )
    return version


def migrate(conn: Connection) -> int:
    """Bring the schema up to date inside the caller's open transaction; returns old version."""
    version = check_supported(conn)
    for index in range(version, SCHEMA_VERSION):
        MIGRATIONS[index](conn)
    if version != SCHEMA_VERSION:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return version
