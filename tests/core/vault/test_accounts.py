"""Several clinicians on one vault: add, change passphrase, revoke, recovery key."""

from __future__ import annotations

import json

import pytest

from desktop.core.errors import InputError
from desktop.core.vault import PermissionDeniedError, Vault, WrongPassphraseError, keys
from tests.fixtures.vault import VAULT_PASSPHRASE, VAULT_USER

NURSE_PASS = "blue kettle on the stove"


def test_added_user_opens_the_same_data(vault, vault_path):
    pid = vault.add_patient("Kofi Annan")
    user = vault.add_user("n.okafor", "Nurse Okafor", NURSE_PASS)
    assert user.role == "clinician"
    assert [u.username for u in vault.list_users()] == [VAULT_USER, "n.okafor"]
    with pytest.raises(InputError, match="already exists"):
        vault.add_user("n.okafor", "Someone", NURSE_PASS)
    vault.lock()
    with Vault.unlock(vault_path, " N.Okafor ", NURSE_PASS) as nurse:  # as typed
        assert nurse.user.display_name == "Nurse Okafor"
        assert nurse.user.username == "n.okafor"
        assert nurse.get_patient(pid).name == "Kofi Annan"
        with pytest.raises(PermissionDeniedError, match="administrator"):
            nurse.add_user("x.other", "X", NURSE_PASS)
        assert nurse.audit_log(limit=1)[0].username == "n.okafor"


def test_change_passphrase_rewraps_without_touching_the_database(vault, vault_path):
    pid = vault.add_patient("Lena Berg")
    vault.lock()
    with Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE) as again:
        before_db = vault_path.read_bytes()
        with pytest.raises(WrongPassphraseError):
            again.change_passphrase(VAULT_USER, "not my passphrase", "new long passphrase")
        again.change_passphrase(VAULT_USER, VAULT_PASSPHRASE, "new long passphrase")
        assert vault_path.read_bytes() == before_db  # only the key file changed
    with pytest.raises(WrongPassphraseError):
        Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE)
    with Vault.unlock(vault_path, VAULT_USER, "new long passphrase") as again:
        assert again.get_patient(pid).name == "Lena Berg"
        assert again.audit_log(limit=10, record_type="user")[0].action == "change_passphrase"


def test_revoked_user_can_no_longer_unlock(vault, vault_path):
    vault.add_user("locum.doc", "Locum Doctor", NURSE_PASS)
    with pytest.raises(InputError, match="signed in"):
        vault.revoke_user(VAULT_USER)
    vault.revoke_user("locum.doc")
    assert "locum.doc" not in json.loads(keys.keyring_path(vault_path).read_text())["users"]
    revoked = {u.username: u.revoked_at for u in vault.list_users()}
    assert revoked["locum.doc"] is not None
    with pytest.raises(InputError):
        vault.revoke_user("locum.doc")
    vault.lock()
    with pytest.raises(WrongPassphraseError):
        Vault.unlock(vault_path, "locum.doc", NURSE_PASS)


def test_revoked_user_with_a_restored_key_entry_is_still_refused(vault, vault_path):
    """Putting an old key file back does not resurrect a revoked account."""
    vault.add_user("locum.doc", "Locum Doctor", NURSE_PASS)
    old_ring = keys.keyring_path(vault_path).read_bytes()
    vault.revoke_user("locum.doc")
    vault.lock()
    keys.keyring_path(vault_path).write_bytes(old_ring)
    with pytest.raises(WrongPassphraseError, match="revoked"):
        Vault.unlock(vault_path, "locum.doc", NURSE_PASS)


def test_recovery_key_opens_and_resets_a_forgotten_passphrase(vault_factory, vault_path):
    vault, recovery_key = vault_factory()
    pid = vault.add_patient("Mona Lisa")
    vault.lock()
    with pytest.raises(WrongPassphraseError, match="recovery key is not correct"):
        Vault.unlock_with_recovery(vault_path, "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH")
    # Typed in lower case without dashes still works.
    typed = recovery_key.replace("-", "").lower()
    with Vault.unlock_with_recovery(vault_path, typed) as emergency:
        assert emergency.user.username == "recovery" and emergency.user.is_admin
        assert emergency.get_patient(pid).name == "Mona Lisa"
        emergency.reset_passphrase(VAULT_USER, "a fresh passphrase")
        assert emergency.audit_log(limit=1)[0].action == "reset_passphrase"
    Vault.unlock(vault_path, VAULT_USER, "a fresh passphrase").lock()


def test_new_recovery_key_replaces_the_old_one(vault_factory, vault_path):
    vault, old_key = vault_factory()
    new_key = vault.new_recovery_key()
    vault.lock()
    with pytest.raises(WrongPassphraseError):
        Vault.unlock_with_recovery(vault_path, old_key)
    Vault.unlock_with_recovery(vault_path, new_key).lock()


def test_failed_key_file_write_leaves_accounts_unchanged(vault, vault_path, monkeypatch):
    import errno
    import os

    ring_before = keys.keyring_path(vault_path).read_bytes()
    real_replace = os.replace

    def full_disk(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(Exception, match="disk is full") as info:
        vault.add_user("n.okafor", "Nurse Okafor", NURSE_PASS)
    assert "Nothing was changed" in str(info.value)
    monkeypatch.setattr(os, "replace", real_replace)
    assert keys.keyring_path(vault_path).read_bytes() == ring_before
    assert [u.username for u in vault.list_users()] == [VAULT_USER]  # DB rolled back too
    assert not list(vault_path.parent.glob("*.tmp"))
    vault.add_user("n.okafor", "Nurse Okafor", NURSE_PASS)  # works once space is back


def test_cannot_change_someone_elses_passphrase(vault):
    vault.add_user("n.okafor", "Nurse Okafor", NURSE_PASS)
    with pytest.raises(PermissionDeniedError, match="own passphrase"):
        vault.change_passphrase("n.okafor", NURSE_PASS, "hijacked passphrase")
