"""Opening the SQLCipher file with a raw key, and turning SQLite errors into clear ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlcipher3 import dbapi2 as sqlcipher

from desktop.core.errors import ClinicDeskError
from desktop.core.vault.errors import DiskFullError, NotAVaultError, VaultBusyError

DatabaseError = sqlcipher.DatabaseError
SQLITE_HEADER = b"SQLite format 3\x00"
# Decrypted page cache. Pages found here skip AES+HMAC, which is what keeps reads at plain
# SQLite speed (bench/bench_vault.py); 64 MB is small next to the model budget.
CACHE_KIB = 64_000
# How long a write waits for another connection's transaction before giving up.
BUSY_TIMEOUT_MS = 10_000


def key_literal(db_key: bytes) -> str:
    # x'..' makes SQLCipher use the 256-bit key as is, skipping its own passphrase KDF.
    return f"x'{db_key.hex()}'"


def connect(path: Path, db_key: bytes) -> Any:
    """A keyed, configured connection. Raises ``NotAVaultError`` if the key does not fit."""
    conn = sqlcipher.connect(str(path), isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA key = \"{key_literal(db_key)}\"")
        # SQLCipher prints decryption failures to stderr by default; we report our own.
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except DatabaseError as exc:
        conn.close()
        raise NotAVaultError(
            f"{path.name} is not a ClinicDesk vault, or it is damaged, or its key file belongs "
            "to a different vault. Nothing was changed. Restore it from a backup if needed."
        ) from exc
    configure(conn)
    return conn


def configure(conn: Any) -> None:
    # Temporary tables and sort spills stay in RAM: no plaintext temp files.
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA foreign_keys = ON")
    # A scheduled backup may read (and add its audit entry) while the app is open.
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # FULL: a committed clinical record survives power loss, not only a crash.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    conn.execute("PRAGMA journal_mode = WAL").fetchone()


def looks_like_plain_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(16) == SQLITE_HEADER
    except OSError:
        return False


def translate(exc: Exception) -> ClinicDeskError | None:
    """A user-facing error for SQLite failures a user can act on, else None."""
    message = str(exc).lower()
    if "database is locked" in message or "database is busy" in message:
        return VaultBusyError(
            "The vault stayed busy with other work for too long, so this was not done. "
            "Nothing was changed. Try again in a moment."
        )
    if "full" in message:
        return DiskFullError(
            "The disk is full, so this could not be saved. Nothing was changed. "
            "Free some disk space (or ask IT) and try again."
        )
    if "disk i/o error" in message or "readonly" in message or "read-only" in message:
        return ClinicDeskError(
            f"The vault file could not be written ({exc}). Nothing was changed. "
            "Check the disk and the folder's permissions."
        )
    if "not a database" in message or "malformed" in message:
        return NotAVaultError(
            "The vault file is damaged. Nothing was changed. Run `desktop vault check` and "
            "restore from a backup if needed."
        )
    return None
