"""Checks shared by ``vault check``, backup and restore: is this encrypted file whole?"""

from __future__ import annotations

from typing import Any

from desktop.core.vault import audit

COUNTED_TABLES = ("users", "patients", "encounters", "notes", "images", "analyses",
                  "decisions", "audit_log")


def problems(conn: Any) -> list[str]:
    """Everything wrong with the open database (empty = OK): page HMACs, SQLite structure,
    dangling links, the audit chain."""
    # Fold the WAL into the main file so the page check covers every page.
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    found = [f"encrypted page check: {row[0]}"
             for row in conn.execute("PRAGMA cipher_integrity_check")]
    quick = [row[0] for row in conn.execute("PRAGMA quick_check")]
    if quick != ["ok"]:
        found.extend(f"database structure: {line}" for line in quick)
    for row in conn.execute("PRAGMA foreign_key_check"):
        found.append(f"table {row[0]} row {row[1]} points to a missing {row[2]}")
    found.extend(audit.verify(conn).problems)
    return found


def row_counts(conn: Any) -> dict[str, int]:
    return {table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in COUNTED_TABLES}
