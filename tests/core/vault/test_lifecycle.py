"""Create, unlock, lock, wrong passphrase and the other ways opening a vault can fail."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from desktop.core.vault import (
    NotAVaultError,
    Vault,
    VaultInUseError,
    VaultLockedError,
    VaultTooNewError,
    WrongPassphraseError,
    keys,
)
from desktop.core.vault.connection import connect
from tests.fixtures.vault import VAULT_PASSPHRASE, VAULT_USER


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def test_create_unlock_lock_round_trip(vault_factory, vault_path):
    vault, recovery_key = vault_factory()
    assert Vault.exists(vault_path)
    assert vault.user.username == VAULT_USER and vault.user.role == "admin"
    patient_id = vault.add_patient("Ada Lovelace", birth_date="1815-12-10")
    vault.lock()
    assert vault.is_locked
    with pytest.raises(VaultLockedError):
        vault.get_patient(patient_id)
    with Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE) as again:
        assert again.get_patient(patient_id).name == "Ada Lovelace"
    assert again.is_locked
    assert len(recovery_key.replace("-", "")) == 32


def test_vault_file_is_encrypted_and_private(vault, vault_path):
    vault.add_patient("Grace Hopper")
    vault.lock()
    raw = vault_path.read_bytes()
    assert not raw.startswith(b"SQLite format 3")
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(vault_path).execute("SELECT * FROM patients").fetchall()
    assert vault_path.stat().st_mode & 0o077 == 0
    assert keys.keyring_path(vault_path).stat().st_mode & 0o077 == 0


def test_create_refuses_to_overwrite_existing_vault(vault, vault_path):
    vault.add_patient("Existing Patient")
    vault.lock()
    before = _snapshot(vault_path.parent)
    with pytest.raises(Exception, match="already exists"):
        Vault.create(vault_path, "dr.new", "Dr New", "another long passphrase",
                     kdf=keys.TEST_KDF)
    assert _snapshot(vault_path.parent) == before


def test_weak_passphrase_and_bad_username_rejected(vault_path):
    with pytest.raises(Exception, match="at least 8"):
        Vault.create(vault_path, "dr.grey", "Dr Grey", "short", kdf=keys.TEST_KDF)
    with pytest.raises(Exception, match="user name"):
        Vault.create(vault_path, "Dr Grey!", "Dr Grey", VAULT_PASSPHRASE, kdf=keys.TEST_KDF)
    assert not vault_path.exists()


def test_wrong_passphrase_changes_nothing_but_the_counter(vault, vault_path):
    vault.add_patient("Rosalind Franklin")
    vault.lock()
    before = vault_path.read_bytes()
    with pytest.raises(WrongPassphraseError, match="not correct"):
        Vault.unlock(vault_path, VAULT_USER, "wrong passphrase here")
    with pytest.raises(WrongPassphraseError):
        Vault.unlock(vault_path, "nobody", VAULT_PASSPHRASE)
    assert vault_path.read_bytes() == before
    ring = json.loads(keys.keyring_path(vault_path).read_text())
    assert ring["failures"][VAULT_USER]["count"] == 1
    Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE).lock()
    ring = json.loads(keys.keyring_path(vault_path).read_text())
    assert VAULT_USER not in ring["failures"]


def test_repeated_failures_grow_the_delay_across_restarts(vault, vault_path):
    vault.lock()
    waits: list[float] = []
    for _ in range(6):
        with pytest.raises(WrongPassphraseError):
            Vault.unlock(vault_path, VAULT_USER, "not the passphrase", sleep=waits.append)
    assert waits == [0, 0, 0, 1, 2, 4]
    # A new process reads the count from the key file, so restarting does not reset it.
    waits.clear()
    Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE, sleep=waits.append).lock()
    assert waits == [8]
    waits.clear()
    Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE, sleep=waits.append).lock()
    assert waits == [0]


def test_second_open_is_refused_clearly(vault, vault_path):
    with pytest.raises(VaultInUseError, match="already open"):
        Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE)
    vault.lock()
    Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE).lock()


def test_file_that_is_not_a_vault(tmp_path):
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4 not a database" * 100)
    before = pdf.read_bytes()
    with pytest.raises(NotAVaultError, match="not a ClinicDesk vault"):
        Vault.unlock(pdf, VAULT_USER, VAULT_PASSPHRASE)
    assert pdf.read_bytes() == before
    plain = tmp_path / "plain.db"
    sqlite3.connect(plain).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(NotAVaultError, match="unencrypted"):
        Vault.unlock(plain, VAULT_USER, VAULT_PASSPHRASE)
    with pytest.raises(NotAVaultError, match="no vault"):
        Vault.unlock(tmp_path / "missing.vault", VAULT_USER, VAULT_PASSPHRASE)


def test_vault_whose_data_file_is_garbage(vault, vault_path):
    vault.lock()
    vault_path.write_bytes(b"\x00" * 8192)
    with pytest.raises(NotAVaultError, match="damaged"):
        Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE)


def test_keyring_from_another_vault_is_refused(vault_factory, tmp_path):
    first, _ = vault_factory(tmp_path / "a" / "one.vault")
    second, _ = vault_factory(tmp_path / "b" / "two.vault")
    first.lock()
    second.lock()
    # Same user and passphrase, but the other vault's key: the database will not decrypt.
    keys.keyring_path(first.path).write_bytes(keys.keyring_path(second.path).read_bytes())
    with pytest.raises(NotAVaultError):
        Vault.unlock(first.path, VAULT_USER, VAULT_PASSPHRASE)


def test_vault_from_newer_version_is_refused_untouched(vault, vault_path):
    conn = vault._conn
    conn.execute("PRAGMA user_version = 99")
    vault.lock()
    before = vault_path.read_bytes()
    with pytest.raises(VaultTooNewError, match="newer version"):
        Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE)
    assert vault_path.read_bytes() == before


def test_strong_default_kdf_is_used_without_override(vault_path):
    vault, _ = Vault.create(vault_path, VAULT_USER, "Dr Grey", VAULT_PASSPHRASE)
    vault.lock()
    entry = json.loads(keys.keyring_path(vault_path).read_text())["users"][VAULT_USER]
    assert entry["n"] >= 2**17 and entry["kdf"] == "scrypt"


def test_raw_key_opens_database_directly(vault, vault_path):
    """The database key is a raw 256-bit SQLCipher key (no second KDF)."""
    key = vault._key()
    assert len(key) == 32
    vault.lock()
    conn = connect(vault_path, key)
    assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 1
    conn.close()


def test_another_process_holding_the_vault_blocks_opening(vault, vault_path):
    import subprocess
    import sys

    vault.lock()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from desktop.core.vault import Vault\n"
         "v = Vault.unlock(sys.argv[1], sys.argv[2], sys.argv[3])\n"
         "print('open', flush=True)\n"
         "time.sleep(60)\n",
         str(vault_path), VAULT_USER, VAULT_PASSPHRASE],
        stdout=subprocess.PIPE, cwd=Path(__file__).resolve().parents[3],
    )
    try:
        assert holder.stdout.readline() == b"open\n"
        before = vault_path.read_bytes()
        with pytest.raises(VaultInUseError, match="already open in ClinicDesk on this computer"):
            Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE)
        assert vault_path.read_bytes() == before
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE).lock()  # the lock died with it


def test_create_on_a_full_disk_leaves_nothing_behind(vault_path, monkeypatch):
    import errno
    import os

    def no_space(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", no_space)
        with pytest.raises(Exception, match="disk is full"):
            Vault.create(vault_path, VAULT_USER, "Dr Grey", VAULT_PASSPHRASE,
                         kdf=keys.TEST_KDF)
    leftovers = [p.name for p in vault_path.parent.iterdir() if not p.name.endswith(".lock")]
    assert leftovers == []
    assert not Vault.exists(vault_path)


def test_damaged_key_file_is_a_clear_error(vault, vault_path):
    vault.lock()
    ring = keys.keyring_path(vault_path)
    for content in ("{not json", '{"format": "something-else"}',
                    '{"format": "clinicdesk-keyring", "version": 1}'):
        ring.write_text(content)
        with pytest.raises(NotAVaultError, match="key file"):
            Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE)
    ring.unlink()
    with pytest.raises(NotAVaultError, match="key file .* is missing"):
        Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE)


def test_forgotten_vault_object_does_not_keep_the_vault_blocked(vault_path):
    import gc

    vault, _ = Vault.create(vault_path, VAULT_USER, "Dr Grey", VAULT_PASSPHRASE,
                            kdf=keys.TEST_KDF)
    del vault
    gc.collect()
    Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE).lock()
