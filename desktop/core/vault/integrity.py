"""Checks shared by ``vault check``, backup and restore: is this encrypted file whole?"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop.core.vault import audit
from desktop.core.vault.connection import DatabaseError

COUNTED_TABLES = ("users", "patients", "encounters", "notes", "images", "analyses",
                  "decisions", "audit_log")


def _cipher_pages(conn: Any) -> list[str]:
    # Fold the WAL into the main file so the page check covers every page.
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    return [f"encrypted page check: {row[0]}"
            for row in conn.execute("PRAGMA cipher_integrity_check")]


def _structure(conn: Any) -> list[str]:
    quick = [row[0] for row in conn.execute("PRAGMA quick_check")]
    return [] if quick == ["ok"] else [f"database structure: {line}" for line in quick]


def _links(conn: Any) -> list[str]:
    return [f"table {row[0]} row {row[1]} points to a missing {row[2]}"
            for row in conn.execute("PRAGMA foreign_key_check")]


def _audit_chain(conn: Any) -> list[str]:
    return audit.verify(conn).problems


CHECKS: tuple[tuple[str, Callable[[Any], list[str]]], ...] = (
    ("encrypted page check", _cipher_pages),
    ("database structure", _structure),
    ("record links", _links),
    ("audit chain", _audit_chain),
)


def problems(conn: Any) -> list[str]:
    """Everything wrong with the open database (empty = OK): page HMACs, SQLite structure,
    dangling links, the audit chain. A check that cannot even run is itself a problem."""
    found: list[str] = []
    for name, check in CHECKS:
        try:
            found.extend(check(conn))
        except DatabaseError as exc:
            found.append(f"{name} failed: {exc}")
    return found


def row_counts(conn: Any) -> dict[str, int]:
    present = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return {table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in COUNTED_TABLES if table in present}
