"""Encrypted backup -> restore -> same data, and restores that must not clobber anything."""

from __future__ import annotations

import errno

import pytest

from desktop.core.errors import InputError
from desktop.core.vault import NotAVaultError, Vault, VaultInUseError, WrongPassphraseError
from desktop.core.vault import keys as vault_keys
from tests.fixtures.vault import VAULT_PASSPHRASE, VAULT_USER


def _fill(vault: Vault) -> dict[str, object]:
    pid = vault.add_patient("Nia Long", birth_date="1970-10-30")
    nid = vault.add_note(pid, "Asthma, uses salbutamol inhaler.", source_bytes=b"orig")
    iid = vault.add_image(pid, b"\x89PNG" + bytes(5000), media_type="image/png",
                          metadata={"w": 10})
    aid = vault.add_analysis("summary.structured", patient_id=pid, inputs={"note_ids": [nid]},
                             provenance={"pack_id": "p"}, parameters={},
                             result={"title": "t", "items": []}, evidence=[])
    vault.record_decision(aid, "rejected", comment="wrong")
    return {"patient": vault.get_patient(pid), "note": vault.get_note(nid),
            "source": vault.get_note_source(nid), "image": vault.get_image(iid),
            "analysis": vault.get_analysis(aid), "decision": vault.latest_decision(aid)}


def _read(vault: Vault, expected: dict[str, object]) -> dict[str, object]:
    pid = expected["patient"].id
    nid, iid = expected["note"].id, expected["image"].id
    aid = expected["analysis"].id
    return {"patient": vault.get_patient(pid), "note": vault.get_note(nid),
            "source": vault.get_note_source(nid), "image": vault.get_image(iid),
            "analysis": vault.get_analysis(aid), "decision": vault.latest_decision(aid)}


def test_backup_then_restore_gives_the_same_data(vault_factory, vault_path, tmp_path):
    vault, recovery_key = vault_factory()
    expected = _fill(vault)
    dest = vault.backup(tmp_path / "backups" / "monday.vault")
    assert dest.is_file() and vault_keys.keyring_path(dest).is_file()
    assert not list(dest.parent.glob("*.partial*"))
    assert not dest.read_bytes().startswith(b"SQLite format 3")
    vault.lock()

    restored = tmp_path / "elsewhere" / "clinicdesk.vault"
    Vault.restore(dest, restored, username=VAULT_USER, passphrase=VAULT_PASSPHRASE)
    with Vault.unlock(restored, VAULT_USER, VAULT_PASSPHRASE) as copy:
        assert _read(copy, expected) == expected
        assert copy.integrity_check() == []
    other = tmp_path / "third" / "clinicdesk.vault"
    Vault.restore(dest, other, recovery_key=recovery_key)
    Vault.unlock_with_recovery(other, recovery_key).lock()


def test_restore_refuses_to_clobber_unless_asked(vault, vault_path, tmp_path):
    expected = _fill(vault)
    backup = vault.backup(tmp_path / "b.vault")
    later = vault.add_patient("Added After Backup")
    with pytest.raises(VaultInUseError):
        Vault.restore(backup, vault_path, username=VAULT_USER, passphrase=VAULT_PASSPHRASE,
                      overwrite=True)
    vault.lock()
    before = vault_path.read_bytes()
    with pytest.raises(InputError, match="already exists"):
        Vault.restore(backup, vault_path, username=VAULT_USER, passphrase=VAULT_PASSPHRASE)
    assert vault_path.read_bytes() == before

    Vault.restore(backup, vault_path, username=VAULT_USER, passphrase=VAULT_PASSPHRASE,
                  overwrite=True)
    with Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE) as restored:
        assert _read(restored, expected) == expected
        assert later not in [p.id for p in restored.search_patients()]
    # The replaced vault was kept aside, not deleted.
    aside = [p for p in vault_path.parent.glob(vault_path.name + ".before-restore-*")
             if not p.name.endswith(("-wal", "-shm", ".keys"))]
    assert len(aside) == 1
    aside_vault = aside[0]
    with Vault.unlock(aside_vault, VAULT_USER, VAULT_PASSPHRASE) as old:
        assert later in [p.id for p in old.search_patients()]


def test_restore_rejects_wrong_passphrase_and_damaged_backup(vault, tmp_path):
    _fill(vault)
    backup = vault.backup(tmp_path / "b.vault")
    target = tmp_path / "new" / "clinicdesk.vault"
    with pytest.raises(WrongPassphraseError):
        Vault.restore(backup, target, username=VAULT_USER, passphrase="wrong passphrase!")
    data = bytearray(backup.read_bytes())
    data[6000] ^= 0xFF  # one flipped bit inside an encrypted page
    backup.write_bytes(bytes(data))
    with pytest.raises(NotAVaultError):
        Vault.restore(backup, target, username=VAULT_USER, passphrase=VAULT_PASSPHRASE)
    assert not target.parent.exists()  # verified before anything was written
    with pytest.raises(NotAVaultError, match="no backup"):
        Vault.restore(tmp_path / "nope.vault", target, recovery_key="x")


def test_backup_will_not_overwrite_and_cleans_up_on_full_disk(vault, tmp_path, monkeypatch):
    _fill(vault)
    first = vault.backup(tmp_path / "b.vault")
    with pytest.raises(InputError, match="already exists"):
        vault.backup(first)

    def no_space(path, data):
        raise vault_keys.disk_error(OSError(errno.ENOSPC, "No space left"), "the key file")

    monkeypatch.setattr(vault_keys, "write_json_atomic", no_space)
    with pytest.raises(Exception, match="disk is full"):
        vault.backup(tmp_path / "c.vault")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("c.")) == []
    assert vault.integrity_check() == []


def test_full_disk_during_a_write_keeps_the_vault_intact(vault, vault_path):
    pid = vault.add_patient("Omar Farouk")
    conn = vault._conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # the "disk" holds 2 more pages
    with pytest.raises(Exception, match="disk is full") as info:
        vault.add_image(pid, bytes(200_000), media_type="image/png")
    assert "Nothing was changed" in str(info.value)
    assert vault.list_images(pid) == []
    conn.execute("PRAGMA max_page_count = 1073741823")
    vault.add_image(pid, bytes(200_000), media_type="image/png")
    assert vault.integrity_check() == []
    vault.lock()
    with Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE) as again:
        assert len(again.list_images(pid)) == 1


def test_scheduled_backup_while_the_app_has_the_vault_open(vault, vault_path, tmp_path):
    """A nightly backup runs while a clinician's session keeps writing."""
    import threading

    pid = vault.add_patient("Pia Open")
    stop = threading.Event()
    written: list[int] = []

    def clinician() -> None:
        # Saves as fast as a busy clinic plausibly does; a loop with no pause at all keeps
        # SQLite's write lock almost continuously and starves any other writer.
        while not stop.is_set():
            written.append(vault.add_note(pid, "ongoing work " * 50))
            stop.wait(0.02)

    thread = threading.Thread(target=clinician)
    thread.start()
    try:
        dest = Vault.backup_file(vault_path, tmp_path / "nightly.vault", username=VAULT_USER,
                                 passphrase=VAULT_PASSPHRASE)
    finally:
        stop.set()
        thread.join()
    assert written  # the session really was writing during the backup
    assert any(e.action == "backup" and e.detail == "while open"
               for e in vault.audit_log(limit=None, record_type="vault"))
    assert vault.integrity_check() == []
    restored = tmp_path / "restored" / "clinicdesk.vault"
    Vault.restore(dest, restored, username=VAULT_USER, passphrase=VAULT_PASSPHRASE)
    with Vault.unlock(restored, VAULT_USER, VAULT_PASSPHRASE) as copy:
        assert copy.integrity_check() == []
        assert copy.get_patient(pid).name == "Pia Open"
        assert 0 <= copy.row_counts()["notes"] <= len(written)


def test_scheduled_backup_with_a_wrong_passphrase_writes_nothing(vault, vault_path, tmp_path):
    ring_before = vault_keys.keyring_path(vault_path).read_bytes()
    with pytest.raises(WrongPassphraseError):
        Vault.backup_file(vault_path, tmp_path / "x.vault", username=VAULT_USER,
                          passphrase="not the passphrase")
    assert not (tmp_path / "x.vault").exists()
    assert vault_keys.keyring_path(vault_path).read_bytes() == ring_before


def test_backup_file_when_nobody_has_it_open(vault, vault_path, tmp_path):
    vault.lock()
    dest = Vault.backup_file(vault_path, tmp_path / "closed.vault", username=VAULT_USER,
                             passphrase=VAULT_PASSPHRASE)
    with Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE) as live:
        actions = [e.action for e in live.audit_log(limit=4)]
        assert actions[:4] == ["unlock", "lock", "backup", "unlock"]
    Vault.restore(dest, tmp_path / "r" / "c.vault", username=VAULT_USER,
                  passphrase=VAULT_PASSPHRASE)


def test_a_write_lock_held_too_long_is_a_clear_busy_message(vault, vault_path, tmp_path,
                                                            monkeypatch):
    """If another connection keeps the write lock past the busy timeout, the backup says
    so plainly and writes nothing."""
    from desktop.core.vault import connection
    from desktop.core.vault.errors import VaultBusyError

    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 200)

    conn = vault._conn  # hold the write lock as a long transaction in the app would
    with vault._lock:
        conn.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(VaultBusyError, match="busy"):
                Vault.backup_file(vault_path, tmp_path / "x.vault", username=VAULT_USER,
                                  passphrase=VAULT_PASSPHRASE)
        finally:
            conn.execute("ROLLBACK")
    assert not (tmp_path / "x.vault").exists()
