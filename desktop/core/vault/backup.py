"""Encrypted backups (``sqlcipher_export`` into a keyed copy) and verified restores.

A backup is two files: ``<name>`` (the encrypted database, same key as the vault) and
``<name>.keys`` (the key file as it was at backup time, so the same passphrases and the
recovery key open it). Both are written under temporary names, verified by opening them
and comparing row counts, and only then renamed into place.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from pathlib import Path
from typing import Any

from desktop.core.errors import InputError
from desktop.core.vault import connection, integrity, keys, schema
from desktop.core.vault.errors import NotAVaultError
from desktop.core.vault.lockfile import VaultFileLock

SIDE_SUFFIXES = ("-wal", "-shm", ".keys")


def _sibling(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _clean_keyring(keyring: keys.Keyring) -> dict[str, Any]:
    data = keyring.snapshot()
    data["failures"] = {}
    return data


def _verify_copy(path: Path, db_key: bytes, expected: dict[str, int] | None) -> dict[str, int]:
    conn = connection.connect(path, db_key)
    try:
        schema.check_supported(conn)
        found = integrity.problems(conn)
        counts = {} if found else integrity.row_counts(conn)
    except connection.DatabaseError as exc:
        found, counts = [str(exc)], {}
    finally:
        conn.close()
    if not found and expected is not None and counts != expected:
        found.append(f"row counts differ from the vault: {counts} != {expected}")
    if found:
        raise NotAVaultError(
            f"{path.name} is damaged and cannot be used; nothing was changed. "
            f"Details: {'; '.join(found)}"
        )
    return counts


def export(conn: Any, db_key: bytes, keyring: keys.Keyring, dest: Path) -> Path:
    """Write and verify a backup of the open vault ``conn``; the caller holds its lock."""
    if dest.exists() or _sibling(dest, ".keys").exists():
        raise InputError(f"{dest} already exists. Choose another backup name.")
    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = _sibling(dest, ".partial")
    partial_keys = _sibling(dest, ".partial.keys")
    for stale in (partial, partial_keys):
        stale.unlink(missing_ok=True)
    try:
        conn.execute("ATTACH DATABASE ? AS backup KEY ?",
                     (str(partial), connection.key_literal(db_key)))
        try:
            # One read transaction: the counts and the copy see the same snapshot even if
            # another process (the open app) writes meanwhile.
            conn.execute("BEGIN")
            try:
                expected = integrity.row_counts(conn)
                conn.execute("SELECT sqlcipher_export('backup')").fetchall()
                # sqlcipher_export copies tables, not the schema version.
                conn.execute(f"PRAGMA backup.user_version = {schema.schema_version(conn)}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        finally:
            conn.execute("DETACH DATABASE backup")
        partial.chmod(0o600)
        _verify_copy(partial, db_key, expected)
        _fsync_file(partial)
        keys.write_json_atomic(partial_keys, _clean_keyring(keyring))
        os.replace(partial_keys, _sibling(dest, ".keys"))
        os.replace(partial, dest)
        keys.fsync_dir(dest.parent)
    except connection.DatabaseError as exc:
        _remove(partial, partial_keys, _sibling(dest, ".keys"))
        raise (connection.translate(exc) or exc) from exc
    except OSError as exc:
        _remove(partial, partial_keys, _sibling(dest, ".keys"))
        raise keys.disk_error(exc, f"the backup {dest.name}") from exc
    except BaseException:
        _remove(partial, partial_keys, _sibling(dest, ".keys"))
        raise
    return dest


def _remove(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


def restore(backup_path: Path, dest: Path, *, username: str | None, passphrase: str | None,
            recovery_key: str | None, overwrite: bool) -> Path:
    if not backup_path.is_file():
        raise NotAVaultError(f"There is no backup at {backup_path}.")
    keyring = keys.Keyring.load(backup_path)
    if recovery_key:
        db_key = keyring.unwrap_recovery(recovery_key)
    elif username and passphrase is not None:
        db_key = keyring.unwrap_user(username.strip().lower(), passphrase)
    else:
        raise InputError("To restore, give a user name and passphrase, or the recovery key.")
    counts = _verify_copy(backup_path, db_key, None)
    if dest.exists() and not overwrite:
        raise InputError(
            f"A vault already exists at {dest}. Nothing was changed. To replace it, restore "
            "again with overwrite (the current vault is kept beside it, renamed)."
        )
    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    file_lock = VaultFileLock(dest)
    file_lock.acquire()
    staging = _sibling(dest, ".restoring")
    staging_keys = _sibling(dest, ".restoring.keys")
    try:
        try:
            shutil.copyfile(backup_path, staging)
            staging.chmod(0o600)
            _fsync_file(staging)
            keys.write_json_atomic(staging_keys, _clean_keyring(keyring))
        except OSError as exc:
            raise keys.disk_error(exc, f"the restored vault {dest.name}") from exc
        _verify_copy(staging, db_key, counts)
        if dest.exists():
            stamp = time.strftime("%Y%m%d-%H%M%S")
            aside = _sibling(dest, f".before-restore-{stamp}")
            for suffix in ("", *SIDE_SUFFIXES):
                if _sibling(dest, suffix).exists():
                    os.replace(_sibling(dest, suffix), _sibling(aside, suffix))
        os.replace(staging_keys, _sibling(dest, ".keys"))
        os.replace(staging, dest)
        keys.fsync_dir(dest.parent)
    except BaseException:
        _remove(staging, staging_keys)
        raise
    finally:
        file_lock.release()
    return dest
