"""The ``Vault``: opening, locking, accounts, audit and checks of the encrypted database.

Patient records live in ``clinical.ClinicalRecords`` and accounts in ``accounts.Accounts``
(both mixed in); backups in ``backup``.
Every public method takes one re-entrant lock, so worker threads may share a Vault, and
every write (including the audit entry each read adds) runs in one transaction.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from desktop.core.errors import ClinicDeskError, InputError
from desktop.core.logging_setup import safe
from desktop.core.vault import audit, backup, connection, integrity, keys, opening, schema
from desktop.core.vault.accounts import (
    Accounts,
    normalise_username,
    validate_passphrase,
    validate_username,
)
from desktop.core.vault.clinical import ClinicalRecords
from desktop.core.vault.errors import (
    NotAVaultError,
    VaultInUseError,
    VaultLockedError,
    WrongPassphraseError,
)
from desktop.core.vault.lockfile import VaultFileLock
from desktop.core.vault.records import AuditChainReport, AuditEntry, User

log = logging.getLogger(__name__)


class Vault(Accounts, ClinicalRecords):
    """An unlocked vault. Get one from ``create``, ``unlock`` or ``unlock_with_recovery``."""

    def __init__(self, path: Path, conn: Any, keyring: keys.Keyring, db_key: bytes,
                 user: User, file_lock: VaultFileLock, kdf: keys.KdfParams) -> None:
        self.path = path
        self._conn: Any = conn
        self._keyring = keyring
        self._db_key: bytes | None = db_key
        self.user = user
        self._file_lock = file_lock
        self._kdf = kdf
        self._lock = threading.RLock()

    # --- opening ------------------------------------------------------------------
    @staticmethod
    def exists(path: Path | str) -> bool:
        path = Path(path)
        return path.is_file() and keys.keyring_path(path).is_file()

    @classmethod
    def create(cls, path: Path | str, username: str, display_name: str, passphrase: str,
               *, kdf: keys.KdfParams | None = None) -> tuple[Vault, str]:
        """A new vault whose first account (an administrator) is ``username``.

        Returns the vault and the recovery key, which must be shown to the user once and
        is never stored in clear. ``kdf`` is for tests only (a cheaper scrypt).
        """
        path = Path(path)
        kdf = kdf or keys.DEFAULT_KDF
        username = normalise_username(username)
        validate_username(username)
        validate_passphrase(passphrase)
        if not display_name.strip():
            raise InputError("Please enter the clinician's name as it should appear.")
        keyring_file = keys.keyring_path(path)
        if path.exists() or keyring_file.exists():
            raise InputError(f"A vault already exists at {path}. Nothing was changed.")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        file_lock = VaultFileLock(path)
        file_lock.acquire()
        db_key = keys.new_db_key()
        recovery_key = keys.new_recovery_key()
        vault_id = str(uuid.uuid4())
        conn = None
        try:
            conn = connection.connect(path, db_key)
            path.chmod(0o600)
            now = audit.audit_now()
            conn.execute("BEGIN IMMEDIATE")
            schema.migrate(conn)
            conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [("vault_id", vault_id), ("created_at", now)],
            )
            conn.execute(
                "INSERT INTO users (username, display_name, role, created_at) "
                "VALUES (?, ?, 'admin', ?)",
                (username, display_name.strip(), now),
            )
            audit.append(conn, username, "create_vault", "vault")
            conn.execute("COMMIT")
            keyring = keys.Keyring.new(path, vault_id)
            keyring.set_user(username, db_key, passphrase, kdf)
            keyring.set_recovery(db_key, recovery_key, kdf)
            keyring.save()
        except BaseException as exc:
            if conn is not None:
                conn.close()
            for leftover in (path, keyring_file, *_wal_files(path)):
                with contextlib.suppress(OSError):
                    leftover.unlink()
            file_lock.release()
            if isinstance(exc, connection.DatabaseError):
                raise (connection.translate(exc) or exc) from exc
            raise
        user = User(username, display_name.strip(), "admin", now)
        return cls(path, conn, keyring, db_key, user, file_lock, kdf), recovery_key

    @classmethod
    def unlock(cls, path: Path | str, username: str, passphrase: str, *,
               sleep: keys.Sleep | None = None, clock: keys.Clock | None = None) -> Vault:
        """Open with a clinician's passphrase. After 3 misses in a row each try waits longer
        (1 s, 2 s, 4 s ... 30 s); the count survives restarts. ``sleep``/``clock`` are for tests.
        """
        return cls._open(Path(path), username, passphrase, sleep=sleep, clock=clock)

    @classmethod
    def unlock_with_recovery(cls, path: Path | str, recovery_key: str, *,
                             sleep: keys.Sleep | None = None,
                             clock: keys.Clock | None = None) -> Vault:
        """Emergency access as the built-in 'recovery' administrator (to reset passphrases)."""
        return cls._open(Path(path), None, recovery_key, sleep=sleep, clock=clock)

    @classmethod
    def _open(cls, path: Path, username: str | None, secret: str, *,
              sleep: keys.Sleep | None, clock: keys.Clock | None) -> Vault:
        username = None if username is None else normalise_username(username)
        if not path.is_file():
            raise NotAVaultError(f"There is no vault at {path}.")
        if connection.looks_like_plain_sqlite(path):
            raise NotAVaultError(
                f"{path.name} is an unencrypted database, not a ClinicDesk vault. Nothing was "
                "changed."
            )
        file_lock = VaultFileLock(path)
        file_lock.acquire()
        try:
            keyring = keys.Keyring.load(path)
            bucket = username if username is not None else keys.RECOVERY_ENTRY
            (sleep or keys.DEFAULT_SLEEP)(keys.failure_delay(keyring.failures(bucket)))
            try:
                if username is None:
                    db_key = keyring.unwrap_recovery(secret)
                    entry = keyring.data["recovery"]
                else:
                    db_key = keyring.unwrap_user(username, secret)
                    entry = keyring.data["users"][username]
            except WrongPassphraseError:
                with contextlib.suppress(ClinicDeskError):
                    keyring.record_failure(bucket, (clock or keys.DEFAULT_CLOCK)())
                log.warning("unlock refused for %s (%s failures in a row)", safe(bucket),
                            keyring.failures(bucket))
                raise
            conn, db_key, keyring = opening.connect_finishing_rekey(path, db_key, keyring,
                                                                    username, secret)
            try:
                user = opening.check_vault(conn, keyring, username)
                opening.upgrade(path, conn, db_key, keyring)
            except BaseException:
                conn.close()
                raise
            with contextlib.suppress(ClinicDeskError):
                keyring.clear_failures(bucket)
            kdf = keys.KdfParams(n=int(entry["n"]), r=int(entry["r"]), p=int(entry["p"]))
            vault = cls(path, conn, keyring, db_key, user, file_lock, kdf)
        except BaseException:
            file_lock.release()
            raise
        try:
            with vault._write() as conn:
                audit.append(conn, user.username, "unlock", "vault")
        except BaseException:
            # e.g. a full disk: an unlock that cannot be audited does not happen.
            vault._conn.close()
            vault._conn = None
            file_lock.release()
            raise
        log.info("vault unlocked by %s", safe(user.username))
        return vault

    # --- locking ------------------------------------------------------------------
    def lock(self) -> None:
        """Close the database and forget the key. Safe to call twice."""
        with self._lock:
            if self._conn is None:
                return
            with contextlib.suppress(ClinicDeskError, connection.DatabaseError):
                with self._write() as conn:
                    self._audit(conn, "lock", "vault")
                # PASSIVE: never wait for a backup that is reading at this moment.
                self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self._conn.close()
            self._conn = None
            log.info("vault locked")
            self._db_key = None
            self._file_lock.release()

    close = lock

    @property
    def is_locked(self) -> bool:
        return self._conn is None

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.lock()

    # --- transactions (used by the mixins) ------------------------------------------
    def _open_conn(self) -> Any:
        if self._conn is None:
            raise VaultLockedError("The vault is locked. Unlock it to continue.")
        return self._conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[Any]:
        """One IMMEDIATE transaction under the thread lock; SQLite errors become clear ones."""
        with self._lock:
            conn = self._open_conn()
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    with contextlib.suppress(connection.DatabaseError):
                        conn.execute("ROLLBACK")
                if isinstance(exc, connection.DatabaseError):
                    translated = connection.translate(exc)
                    if translated is not None:
                        raise translated from exc
                raise

    @contextlib.contextmanager
    def _read(self) -> Iterator[Any]:
        """The connection under the thread lock, for reads that add no audit entry."""
        with self._lock:
            try:
                yield self._open_conn()
            except connection.DatabaseError as exc:
                raise (connection.translate(exc) or exc) from exc

    def _audit(self, conn: Any, action: str, record_type: str, record_id: int | None = None,
               detail: str = "") -> None:
        audit.append(conn, self.user.username, action, record_type, record_id, detail)

    # --- audit and checks ------------------------------------------------------------
    def audit_log(self, limit: int | None = 200, *, record_type: str | None = None,
                  record_id: int | None = None,
                  patient_id: int | None = None) -> list[AuditEntry]:
        """Newest first; filter by record, or by patient (all of their records)."""
        with self._read() as conn:
            return audit.entries(conn, limit, record_type, record_id, patient_id)

    def access_report(self, *, patient_id: int | None = None, username: str | None = None,
                      since: date | None = None, limit: int | None = None
                      ) -> list[AuditEntry]:
        """Who did what, newest first, for a privacy review (administrators only).

        Looking at the trail is itself recorded: a report on a patient shows up in that
        patient's own trail.
        """
        self._require_admin("read the audit trail")
        filters = [f"patient={patient_id}" if patient_id is not None else "",
                   f"user={username}" if username is not None else "",
                   f"since={since.isoformat()}" if since is not None else ""]
        with self._write() as tx:
            self._audit(tx, "access_report", "vault", None, " ".join(filter(None, filters)))
            return audit.entries(tx, limit, patient_id=patient_id, username=username,
                                 since=since.isoformat() if since is not None else None)

    def verify_audit_chain(self) -> AuditChainReport:
        with self._read() as conn:
            return audit.verify(conn)

    def integrity_check(self) -> list[str]:
        """Problems found (empty = OK): page HMACs, SQLite structure, links, audit chain."""
        with self._lock:
            return integrity.problems(self._open_conn())

    def row_counts(self) -> dict[str, int]:
        with self._read() as conn:
            return integrity.row_counts(conn)

    # --- backup ---------------------------------------------------------------------
    def backup(self, dest: Path | str) -> Path:
        """Write a verified encrypted copy (``dest`` and ``dest.keys``); returns ``dest``."""
        with self._lock:
            conn = self._open_conn()
            with self._write() as tx:
                self._audit(tx, "backup", "vault")
            written = backup.export(conn, self._key(), self._keyring, Path(dest))
            log.info("backup written and verified")
            return written

    @classmethod
    def backup_file(cls, path: Path | str, dest: Path | str, *, username: str | None = None,
                    passphrase: str | None = None, recovery_key: str | None = None,
                    sleep: keys.Sleep | None = None) -> Path:
        """Back up the vault at ``path`` without a GUI session (scheduled backups).

        Works while ClinicDesk has the vault open: SQLite lets this process read a
        consistent snapshot and add its audit entry between the app's transactions.
        """
        path, dest = Path(path), Path(dest)
        if recovery_key:
            who, secret = None, recovery_key
        elif username and passphrase is not None:
            who, secret = normalise_username(username), passphrase
        else:
            raise InputError("To back up, give a user name and passphrase, or the recovery key.")
        try:
            with cls._open(path, who, secret, sleep=sleep, clock=None) as vault:
                return vault.backup(dest)
        except VaultInUseError:
            pass
        # Open elsewhere. The key file is only read here: writing a failure count could undo
        # a change the open app is making to it, so the delay applies but is not counted.
        keyring = keys.Keyring.load(path)
        bucket = who if who is not None else keys.RECOVERY_ENTRY
        (sleep or keys.DEFAULT_SLEEP)(keys.failure_delay(keyring.failures(bucket)))
        db_key = keyring.unwrap_recovery(secret) if who is None else keyring.unwrap_user(
            who, secret)
        conn = connection.connect(path, db_key)
        try:
            user = opening.check_vault(conn, keyring, who)
            try:
                conn.execute("BEGIN IMMEDIATE")
                audit.append(conn, user.username, "backup", "vault", None, "while open")
                conn.execute("COMMIT")
            except connection.DatabaseError as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise (connection.translate(exc) or exc) from exc
            written = backup.export(conn, db_key, keyring, dest)
        finally:
            conn.close()
        log.info("backup written and verified while the vault was open")
        return written

    @classmethod
    def restore(cls, backup_path: Path | str, dest_path: Path | str, *,
                username: str | None = None, passphrase: str | None = None,
                recovery_key: str | None = None, overwrite: bool = False) -> Path:
        """Verify a backup and install it at ``dest_path``. An existing vault there is kept
        aside (renamed ``*.before-restore-<time>``) only when ``overwrite`` is set.
        """
        return backup.restore(Path(backup_path), Path(dest_path), username=username,
                              passphrase=passphrase, recovery_key=recovery_key,
                              overwrite=overwrite)


def _wal_files(path: Path) -> tuple[Path, Path]:
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
