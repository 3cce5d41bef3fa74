"""Clinician accounts of a ``Vault``: add, change or reset passphrases, revoke, re-key.

Mixed into ``Vault``. Accounts live twice: a row in the encrypted ``users`` table (name,
role, revoked) and a wrapped key in the key file. A change writes the database row and the
key file inside one transaction; if the key file cannot be written the row is rolled back.
"""

from __future__ import annotations

import re
from typing import Any

from desktop.core.errors import InputError
from desktop.core.vault import audit, keys
from desktop.core.vault.connection import key_literal
from desktop.core.vault.errors import PermissionDeniedError, VaultLockedError
from desktop.core.vault.records import ROLES, User

MIN_PASSPHRASE = 8
RECOVERY_USER = User(username="recovery", display_name="Recovery key", role="admin")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def validate_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise InputError(f"A passphrase needs at least {MIN_PASSPHRASE} characters.")


def normalise_username(username: str) -> str:
    """User names are stored lower-case; what people type may not be."""
    return username.strip().lower()


def validate_username(username: str) -> None:
    if not _USERNAME.match(username) or username == RECOVERY_USER.username:
        raise InputError(
            f"'{username}' cannot be used as a user name: use lower-case letters, digits, "
            "'.', '_' or '-' (up to 64), and not 'recovery'."
        )


class Accounts:
    """Account methods of ``Vault`` (see store.py for ``_write`` and ``_audit``)."""

    user: User
    _keyring: keys.Keyring
    _db_key: bytes | None
    _kdf: keys.KdfParams
    _lock: Any

    def _write(self) -> Any:  # provided by Vault
        raise NotImplementedError

    def _open_conn(self) -> Any:  # provided by Vault
        raise NotImplementedError

    def _read(self) -> Any:  # provided by Vault
        raise NotImplementedError

    def _audit(self, conn: Any, action: str, record_type: str, record_id: int | None = None,
               detail: str = "") -> None:
        raise NotImplementedError

    def _require_admin(self, what: str) -> None:
        if not self.user.is_admin:
            raise PermissionDeniedError(f"Only an administrator can {what}.")

    def list_users(self, include_revoked: bool = True) -> list[User]:
        sql = "SELECT username, display_name, role, created_at, revoked_at FROM users"
        if not include_revoked:
            sql += " WHERE revoked_at IS NULL"
        with self._read() as conn:
            return [User(*row) for row in conn.execute(sql + " ORDER BY username")]

    def add_user(self, username: str, display_name: str, passphrase: str,
                 role: str = "clinician") -> User:
        self._require_admin("add accounts")
        username = normalise_username(username)
        validate_username(username)
        validate_passphrase(passphrase)
        if role not in ROLES:
            raise InputError(f"Unknown role '{role}'; use one of: {', '.join(ROLES)}.")
        if not display_name.strip():
            raise InputError("Please enter the clinician's name as it should appear.")
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
                raise InputError(f"An account '{username}' already exists. Nothing was changed.")
            now = audit.audit_now()
            conn.execute(
                "INSERT INTO users (username, display_name, role, created_at) VALUES (?, ?, ?, ?)",
                (username, display_name.strip(), role, now),
            )
            self._audit(conn, "add_user", "user", None, username)
            self._save_keyring(lambda ring: ring.set_user(username, self._key(), passphrase,
                                                          self._kdf))
        return User(username, display_name.strip(), role, now)

    def change_passphrase(self, username: str, old: str, new: str) -> None:
        """Re-wrap the key for the signed-in ``username``; needs the current passphrase.

        Only for one's own account, so an open session cannot be used to guess another
        clinician's passphrase (administrators use ``reset_passphrase`` for others).
        """
        username = normalise_username(username)
        if username != self.user.username:
            raise PermissionDeniedError(
                "You can only change your own passphrase; an administrator can reset another "
                "account's passphrase."
            )
        validate_passphrase(new)
        with self._lock:
            self._open_conn()
            self._keyring.unwrap_user(username, old)
            with self._write() as conn:
                self._audit(conn, "change_passphrase", "user", None, username)
                self._save_keyring(lambda ring: ring.set_user(username, self._key(), new,
                                                              self._kdf))

    def reset_passphrase(self, username: str, new: str) -> None:
        """Administrator (or recovery-key) reset for a clinician who forgot theirs."""
        self._require_admin("reset another account's passphrase")
        username = normalise_username(username)
        validate_passphrase(new)
        with self._write() as conn:
            row = conn.execute("SELECT revoked_at FROM users WHERE username = ?",
                               (username,)).fetchone()
            if row is None or row[0] is not None:
                raise InputError(f"There is no active account '{username}'.")
            self._audit(conn, "reset_passphrase", "user", None, username)
            self._save_keyring(lambda ring: ring.set_user(username, self._key(), new, self._kdf))

    def revoke_user(self, username: str) -> None:
        """Remove the account's wrapped key. Someone who copied the key file earlier (or the
        database key itself) keeps access to that copy; only re-encrypting the vault stops that.
        """
        username = normalise_username(username)
        self._require_admin("revoke accounts")
        if username == self.user.username:
            raise InputError("You cannot revoke the account you are signed in with.")
        with self._write() as conn:
            row = conn.execute("SELECT revoked_at FROM users WHERE username = ?",
                               (username,)).fetchone()
            if row is None or row[0] is not None:
                raise InputError(f"There is no active account '{username}'.")
            conn.execute("UPDATE users SET revoked_at = ? WHERE username = ?",
                         (audit.audit_now(), username))
            self._audit(conn, "revoke_user", "user", None, username)
            self._save_keyring(lambda ring: ring.remove_user(username))

    def new_recovery_key(self) -> str:
        """Replace the recovery key (the old one stops working); show the result once."""
        self._require_admin("replace the recovery key")
        recovery_key = keys.new_recovery_key()
        with self._write() as conn:
            self._audit(conn, "new_recovery_key", "vault")
            self._save_keyring(lambda ring: ring.set_recovery(self._key(), recovery_key,
                                                              self._kdf))
        return recovery_key

    def _key(self) -> bytes:
        if self._db_key is None:
            raise VaultLockedError("The vault is locked. Unlock it to continue.")
        return self._db_key

    def _save_keyring(self, change: Any) -> None:
        """Apply ``change`` to the keyring and write it; on failure memory matches disk."""
        before = self._keyring.snapshot()
        try:
            change(self._keyring)
            self._keyring.save()
        except BaseException:
            self._keyring.data = before
            raise

    def rekey(self, passphrase: str) -> tuple[str, list[str]]:
        """Re-encrypt the whole vault under a fresh random key.

        Use after revoking someone who may have copied the key file: their copy then no
        longer opens the vault. Only the signed-in administrator keeps a key entry; every
        other account needs a new passphrase via ``reset_passphrase``. Returns the new
        recovery key (show it once) and those accounts. Old backups keep the old key.
        """
        self._require_admin("re-encrypt the vault")
        if self.user.username == RECOVERY_USER.username:
            raise InputError("Sign in with an administrator account (not the recovery key) "
                             "to re-encrypt the vault.")
        with self._lock:
            conn = self._open_conn()
            me = self.user.username
            self._keyring.unwrap_user(me, passphrase)
            new_key, recovery_key = keys.new_db_key(), keys.new_recovery_key()
            others = [name for name in self._keyring.usernames() if name != me]
            vault_path = self._keyring.path.with_name(self._keyring.path.name[: -len(".keys")])
            data = {**self._keyring.snapshot(), "users": {}, "recovery": None, "failures": {}}
            pending = keys.Keyring(keys.pending_keyring_path(vault_path), data)
            pending.set_user(me, new_key, passphrase, self._kdf)
            pending.set_recovery(new_key, recovery_key, self._kdf)
            # Written first: whatever happens next, one of the two key files opens the vault.
            pending.save()
            try:
                with self._write() as tx:
                    self._audit(tx, "rekey", "vault", None,
                                "accounts needing a new passphrase: " + ",".join(others))
                conn.execute(f"PRAGMA rekey = \"{key_literal(new_key)}\"").fetchall()
            except BaseException:
                pending.path.unlink(missing_ok=True)
                raise
            self._db_key = new_key
            keys.promote_pending(vault_path)
            self._keyring = keys.Keyring.load(vault_path)
            return recovery_key, others

