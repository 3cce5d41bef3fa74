"""Steps of opening a vault that come after the key is unwrapped.

Used by ``Vault`` unlock and by backups taken while the vault is open elsewhere: finish an
interrupted re-key, check the database belongs to this key file and can be read by this
version, find the account, and upgrade an older schema safely.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from desktop.core.vault import backup, connection, keys, schema
from desktop.core.vault.accounts import RECOVERY_USER
from desktop.core.vault.errors import NotAVaultError, VaultError, WrongPassphraseError
from desktop.core.vault.records import User

log = logging.getLogger(__name__)


def connect_finishing_rekey(path: Path, db_key: bytes, keyring: keys.Keyring,
                            username: str | None, secret: str
                            ) -> tuple[Any, bytes, keys.Keyring]:
    """Open the database; finish a re-key that was interrupted after ``PRAGMA rekey``."""
    pending_path = keys.pending_keyring_path(path)
    try:
        conn = connection.connect(path, db_key)
    except NotAVaultError:
        if not pending_path.is_file():
            raise
        pending = keys.Keyring.load(path, pending_path)
        try:
            if username is None:
                db_key = pending.unwrap_recovery(secret)
            else:
                db_key = pending.unwrap_user(username, secret)
        except WrongPassphraseError:
            raise WrongPassphraseError(
                "The vault was re-encrypted and your old key no longer opens it. Ask the "
                "administrator to open it and give you a new passphrase."
            ) from None
        conn = connection.connect(path, db_key)
        keys.promote_pending(path)
        log.info("finished an interrupted re-key")
        return conn, db_key, keys.Keyring.load(path)
    if pending_path.is_file():  # a re-key that never reached the database
        pending_path.unlink()
    return conn, db_key, keyring


def check_vault(conn: Any, keyring: keys.Keyring, username: str | None) -> User:
    """Check the schema version, the vault id and the account (nothing is written)."""
    try:
        schema.check_supported(conn)
        row = conn.execute("SELECT value FROM meta WHERE key = 'vault_id'").fetchone()
    except connection.DatabaseError as exc:
        raise (connection.translate(exc) or exc) from exc
    if row is None or row[0] != keyring.vault_id:
        raise NotAVaultError(
            "The vault's key file belongs to a different vault. Nothing was changed."
        )
    if username is None:
        return RECOVERY_USER
    found = conn.execute(
        "SELECT username, display_name, role, created_at, revoked_at FROM users "
        "WHERE username = ?", (username,),
    ).fetchone()
    if found is None or found[4] is not None:
        raise WrongPassphraseError(f"The account '{username}' has been revoked.")
    return User(*found)


def upgrade(path: Path, conn: Any, db_key: bytes, keyring: keys.Keyring) -> None:
    """Migrate an older vault, after keeping a verified copy of it beside the vault."""
    old = schema.schema_version(conn)
    if old >= schema.SCHEMA_VERSION:
        return
    safety = path.with_name(f"{path.name}.before-upgrade-v{old}")
    if not safety.exists():
        backup.export(conn, db_key, keyring, safety)
    conn.execute("BEGIN IMMEDIATE")
    try:
        schema.migrate(conn)
        conn.execute("COMMIT")
    except BaseException as exc:
        conn.execute("ROLLBACK")
        if isinstance(exc, connection.DatabaseError) and connection.translate(exc):
            raise connection.translate(exc) from exc
        raise VaultError(
            f"Upgrading the vault from data format {old} failed ({type(exc).__name__}). "
            f"Nothing was changed; a verified copy is also kept at {safety.name}. "
            "Please report this to IT."
        ) from exc
    log.info("vault upgraded from schema %s to %s", old, schema.SCHEMA_VERSION)
