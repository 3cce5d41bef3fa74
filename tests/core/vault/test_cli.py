"""``desktop vault ...`` as IT would script it: secrets on stdin, never in argv."""

from __future__ import annotations

import io
import re
import sys

import pytest

from desktop.cli import main
from desktop.core.vault import Vault, keys
from tests.fixtures.vault import VAULT_PASSPHRASE, VAULT_USER

PASS = VAULT_PASSPHRASE + "\n"


def run(monkeypatch, capsys, argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["vault", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def initialised(fast_kdf, monkeypatch, capsys, vault_path) -> str:
    code, out, _ = run(monkeypatch, capsys,
                       ["init", "--user", VAULT_USER, "--display-name", "Dr Grey"], PASS)
    assert code == 0
    match = re.search(r"\b([A-Z2-7]{4}(?:-[A-Z2-7]{4}){7})\b", out)
    assert match, out
    return match.group(1)


def test_init_creates_a_vault_and_shows_the_recovery_key_once(initialised, vault_path):
    assert Vault.exists(vault_path)
    Vault.unlock_with_recovery(vault_path, initialised).lock()
    assert initialised not in keys.keyring_path(vault_path).read_text()


def test_check_and_audit_verify(initialised, monkeypatch, capsys, vault_path):
    code, out, _ = run(monkeypatch, capsys, ["check", "--user", VAULT_USER], PASS)
    assert code == 0 and out.startswith("OK:") and "1 users" in out
    code, out, _ = run(monkeypatch, capsys, ["audit-verify", "--recovery"], initialised + "\n")
    assert code == 0 and "intact" in out
    with Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE) as vault:
        vault._conn.execute("UPDATE audit_log SET action = 'nothing' WHERE id = 1")
    code, out, _ = run(monkeypatch, capsys, ["audit-verify", "--user", VAULT_USER], PASS)
    assert code == 1 and "altered" in out
    code, out, _ = run(monkeypatch, capsys, ["check", "--user", VAULT_USER], PASS)
    assert code == 1 and "problems" in out


def test_wrong_passphrase_is_a_clear_error(initialised, monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, ["check", "--user", VAULT_USER], "nope nope\n")
    assert code == 2 and "passphrase is not correct" in err
    code, _, err = run(monkeypatch, capsys, ["check"], PASS)
    assert code == 2 and "--user" in err
    code, _, err = run(monkeypatch, capsys, ["check", "--user", VAULT_USER], "")
    assert code == 2 and "standard input" in err


def test_backup_and_restore(initialised, monkeypatch, capsys, vault_path, tmp_path):
    with Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE) as vault:
        pid = vault.add_patient("Backup Patient")
    code, out, _ = run(monkeypatch, capsys, ["backup", "--user", VAULT_USER], PASS)
    assert code == 0 and "verified" in out
    written = list((vault_path.parent / "backups").glob("clinicdesk-*.vault"))
    assert len(written) == 1
    code, _, err = run(monkeypatch, capsys, ["restore", str(written[0]), "--user", VAULT_USER],
                       PASS)
    assert code == 2 and "already exists" in err
    target = tmp_path / "other" / "restored.vault"
    code, out, _ = run(monkeypatch, capsys, ["restore", str(written[0]), "--vault", str(target),
                                             "--recovery"], initialised + "\n")
    assert code == 0
    with Vault.unlock(target, VAULT_USER, VAULT_PASSPHRASE) as restored:
        assert restored.get_patient(pid).name == "Backup Patient"
    code, _, _ = run(monkeypatch, capsys, ["restore", str(written[0]), "--overwrite",
                                           "--user", VAULT_USER], PASS)
    assert code == 0


def test_accounts_from_the_command_line(initialised, monkeypatch, capsys, vault_path):
    code, out, _ = run(monkeypatch, capsys,
                       ["add-user", "n.okafor", "--display-name", "Nurse Okafor",
                        "--user", VAULT_USER], PASS + "nurse passphrase 1\n")
    assert code == 0 and "clinician account 'n.okafor'" in out
    code, _, _ = run(monkeypatch, capsys, ["change-passphrase", "--user", "n.okafor"],
                     "nurse passphrase 1\nnurse passphrase 2\n")
    assert code == 0
    Vault.unlock(vault_path, "n.okafor", "nurse passphrase 2").lock()
    code, _, err = run(monkeypatch, capsys,
                       ["add-user", "x.y", "--display-name", "X", "--user", "n.okafor"],
                       "nurse passphrase 2\nsome passphrase\n")
    assert code == 2 and "administrator" in err
    code, _, _ = run(monkeypatch, capsys, ["reset-passphrase", "n.okafor", "--recovery"],
                     f"{initialised}\nnurse passphrase 3\n")
    assert code == 0
    Vault.unlock(vault_path, "n.okafor", "nurse passphrase 3").lock()
    code, out, _ = run(monkeypatch, capsys, ["revoke-user", "n.okafor", "--user", VAULT_USER],
                       PASS)
    assert code == 0 and "Revoked" in out
    code, out, _ = run(monkeypatch, capsys, ["users", "--user", VAULT_USER], PASS)
    lines = out.splitlines()
    assert lines[0].split()[:3] == [VAULT_USER, "admin", "active"]
    assert lines[1].split()[:3] == ["n.okafor", "clinician", "revoked"]
    code, _, err = run(monkeypatch, capsys, ["check", "--user", "n.okafor"],
                       "nurse passphrase 3\n")
    assert code == 2 and "not correct" in err


def test_rekey_from_the_command_line(initialised, monkeypatch, capsys, vault_path):
    code, out, _ = run(monkeypatch, capsys, ["rekey", "--user", VAULT_USER], PASS)
    assert code == 0 and "NEW RECOVERY KEY" in out
    new_key = re.search(r"\b([A-Z2-7]{4}(?:-[A-Z2-7]{4}){7})\b", out).group(1)
    assert new_key != initialised
    Vault.unlock_with_recovery(vault_path, new_key).lock()
    code, out, _ = run(monkeypatch, capsys, ["check", "--user", VAULT_USER], PASS)
    assert code == 0


def test_backup_from_the_command_line_while_the_app_is_open(initialised, monkeypatch, capsys,
                                                          vault_path, tmp_path):
    with Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE) as session:
        session.add_patient("Open Session")
        code, out, err = run(monkeypatch, capsys, ["backup", str(tmp_path / "n.vault"),
                                                   "--user", VAULT_USER], PASS)
        assert code == 0, err
    assert "verified" in out


def test_second_process_gets_a_clear_message(initialised, monkeypatch, capsys, vault_path):
    with Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE):
        code, _, err = run(monkeypatch, capsys, ["check", "--user", VAULT_USER], PASS)
    assert code == 2 and "already open" in err


def test_passphrases_are_not_accepted_as_arguments(initialised, monkeypatch, capsys):
    with pytest.raises(SystemExit):
        run(monkeypatch, capsys, ["check", "--user", VAULT_USER, "--passphrase", "x"])


def test_check_reports_a_damaged_page(initialised, monkeypatch, capsys, vault_path):
    with Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE) as vault:
        pid = vault.add_patient("Page Damage")
        for i in range(40):
            vault.add_note(pid, f"note {i} " + "lorem ipsum " * 300)
    data = bytearray(vault_path.read_bytes())
    page = 4096
    assert len(data) > 20 * page
    data[len(data) - 3 * page + 100] ^= 0x01  # one bit in a page near the end (note data)
    vault_path.write_bytes(bytes(data))
    code, out, err = run(monkeypatch, capsys, ["check", "--user", VAULT_USER], PASS)
    assert code == 1, (out, err)
    assert "encrypted page check" in out and "restore" in out.lower()


def test_audit_report_shows_who_opened_a_patients_records(initialised, monkeypatch, capsys,
                                                          vault_path):
    with Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE) as vault:
        vault.add_user("n.okafor", "Nurse Okafor", "nurse passphrase 1")
        seen, other = vault.add_patient("Audit Patient"), vault.add_patient("Other Patient")
        note_id = vault.add_note(seen, "Cough for two days.")
    with Vault.unlock(vault_path, "n.okafor", "nurse passphrase 1") as nurse:
        nurse.get_note(note_id)
        nurse.get_patient(other)
        nurse.search_patients("Audit")
    code, out, _ = run(monkeypatch, capsys,
                       ["audit", "--patient", str(seen), "--user", VAULT_USER], PASS)
    assert code == 0
    lines = out.splitlines()
    assert any("n.okafor" in line and "read" in line and f"note {note_id}" in line
               for line in lines)
    assert any("n.okafor" in line and "search" in line for line in lines)
    assert not any(f"patient {other}" in line for line in lines)
    code, out, _ = run(monkeypatch, capsys, ["audit", "--by", "n.okafor", "--limit", "3",
                                             "--user", VAULT_USER], PASS)
    entries = out.splitlines()[:-1]
    assert code == 0 and len(entries) == 3 and all("n.okafor" in e for e in entries)
    assert [e.split()[4] for e in entries] == ["lock", "search", "read"]  # newest first
    code, out, _ = run(monkeypatch, capsys, ["audit", "--since", "2999-01-01",
                                             "--user", VAULT_USER], PASS)
    assert code == 0 and out.startswith("0 entries")
    code, _, err = run(monkeypatch, capsys, ["audit", "--since", "last week",
                                             "--user", VAULT_USER], PASS)
    assert code == 2 and "2026-11-01" in err
    # Looking at a patient's trail is part of that patient's trail.
    with Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE) as vault:
        assert vault.audit_log(limit=None, patient_id=seen)[0].action == "access_report"
    code, _, err = run(monkeypatch, capsys, ["audit", "--user", "n.okafor"],
                       "nurse passphrase 1\n")
    assert code == 2 and "administrator" in err
