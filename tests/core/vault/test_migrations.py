"""Opening a vault written by an older version upgrades it, keeping a verified copy first."""

from __future__ import annotations

import pytest

from desktop.core.vault import Vault, VaultError, schema
from tests.fixtures.vault import VAULT_PASSPHRASE, VAULT_USER


def _add_phone(conn) -> None:
    conn.execute("ALTER TABLE patients ADD COLUMN phone TEXT")


def _broken(conn) -> None:
    conn.execute("ALTER TABLE patients ADD COLUMN phone TEXT")
    raise RuntimeError("bug in a migration")


def _pretend_newer_app(monkeypatch, migration) -> None:
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, migration])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(schema.MIGRATIONS))


def test_older_vault_is_upgraded_with_its_data(vault, vault_path, monkeypatch):
    pid = vault.add_patient("Una Older")
    vault.lock()
    with monkeypatch.context() as patch:
        _pretend_newer_app(patch, _add_phone)
        with Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE) as upgraded:
            assert upgraded.get_patient(pid).name == "Una Older"
            conn = upgraded._conn
            assert schema.schema_version(conn) == 2
            assert "phone" in [row[1] for row in conn.execute("PRAGMA table_info(patients)")]
            assert upgraded.integrity_check() == []
    safety = vault_path.with_name(vault_path.name + ".before-upgrade-v1")
    assert safety.is_file()
    with Vault.unlock(safety, VAULT_USER, VAULT_PASSPHRASE) as copy:  # still the old format
        assert schema.schema_version(copy._conn) == 1
        assert copy.get_patient(pid).name == "Una Older"


def test_failed_upgrade_changes_nothing(vault, vault_path, monkeypatch):
    pid = vault.add_patient("Vic Failing")
    vault.lock()
    with monkeypatch.context() as patch:
        _pretend_newer_app(patch, _broken)
        with pytest.raises(VaultError, match="Nothing was changed"):
            Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE)
    with Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE) as same:
        assert schema.schema_version(same._conn) == 1
        cols = [row[1] for row in same._conn.execute("PRAGMA table_info(patients)")]
        assert "phone" not in cols
        assert same.get_patient(pid).name == "Vic Failing"
