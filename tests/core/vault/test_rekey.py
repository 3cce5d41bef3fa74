"""Re-encrypting under a new key: a copied old key file stops working; a crash mid-way
never leaves a vault that nobody can open."""

from __future__ import annotations

import errno
import os

import pytest

from desktop.core.errors import InputError
from desktop.core.vault import NotAVaultError, Vault, WrongPassphraseError, keys
from tests.fixtures.vault import VAULT_PASSPHRASE, VAULT_USER

NURSE_PASS = "blue kettle on the stove"


def test_rekey_locks_out_a_copied_key_file(vault_factory, vault_path):
    vault, old_recovery = vault_factory()
    pid = vault.add_patient("Wanda Rekey")
    vault.add_user("locum.doc", "Locum", NURSE_PASS)
    vault.add_user("n.okafor", "Nurse Okafor", NURSE_PASS)
    stolen_ring = keys.keyring_path(vault_path).read_bytes()  # the locum copies the key file
    vault.revoke_user("locum.doc")
    with pytest.raises(WrongPassphraseError):
        vault.rekey("not my passphrase")
    recovery_key, needing_reset = vault.rekey(VAULT_PASSPHRASE)
    assert needing_reset == ["n.okafor"]
    assert vault.get_patient(pid).name == "Wanda Rekey"  # still usable right away
    vault.reset_passphrase("n.okafor", "nurse new passphrase")
    vault.lock()

    live_ring = keys.keyring_path(vault_path).read_bytes()
    keys.keyring_path(vault_path).write_bytes(stolen_ring)
    with pytest.raises(NotAVaultError):
        Vault.unlock(vault_path, "locum.doc", NURSE_PASS)
    keys.keyring_path(vault_path).write_bytes(live_ring)
    with pytest.raises(WrongPassphraseError):
        Vault.unlock_with_recovery(vault_path, old_recovery)
    Vault.unlock_with_recovery(vault_path, recovery_key).lock()
    with Vault.unlock(vault_path, "n.okafor", "nurse new passphrase") as nurse:
        assert nurse.get_patient(pid).name == "Wanda Rekey"
        assert nurse.integrity_check() == []
    assert not keys.pending_keyring_path(vault_path).exists()


def test_recovery_session_cannot_rekey(vault_factory, vault_path):
    vault, recovery_key = vault_factory()
    vault.lock()
    with Vault.unlock_with_recovery(vault_path, recovery_key) as emergency:
        with pytest.raises(InputError, match="not the recovery key"):
            emergency.rekey("anything at all")


def test_crash_after_rekey_before_key_file_swap_is_finished_at_next_unlock(
        vault, vault_path, monkeypatch):
    pid = vault.add_patient("Xena Interrupted")
    real_replace = os.replace

    def crash_on_promote(src, dst):
        if str(src).endswith(".keys.pending"):
            raise OSError(errno.EIO, "power cut")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_promote)
    with pytest.raises(Exception, match="next unlock"):
        vault.rekey(VAULT_PASSPHRASE)
    monkeypatch.setattr(os, "replace", real_replace)
    vault.lock()
    assert keys.pending_keyring_path(vault_path).exists()
    with Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE) as again:
        assert again.get_patient(pid).name == "Xena Interrupted"
    assert not keys.pending_keyring_path(vault_path).exists()
    Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE).lock()


def test_stale_pending_key_file_from_a_rekey_that_never_ran_is_dropped(vault, vault_path):
    vault.lock()
    keys.pending_keyring_path(vault_path).write_bytes(keys.keyring_path(vault_path).read_bytes())
    Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE).lock()
    assert not keys.pending_keyring_path(vault_path).exists()
