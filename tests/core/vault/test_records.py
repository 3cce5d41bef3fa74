"""Patient records through the Vault API, and the audit trail every access leaves."""

from __future__ import annotations

import hashlib
import threading

import pytest

from desktop.core.errors import InputError
from desktop.core.provenance import NoteSpan, Provenance
from desktop.core.vault import RecordNotFoundError, Vault
from tests.fixtures.vault import VAULT_PASSPHRASE, VAULT_USER

NOTE = "Pt reports chest pain radiating to left arm since Monday. No fever."


def test_patients_add_update_search(vault):
    alice = vault.add_patient("Alice Ndlovu", birth_date="1980-02-03", sex="F", mrn="MRN-7")
    bob = vault.add_patient("Bob Otieno")
    assert vault.get_patient(alice).mrn == "MRN-7"
    updated = vault.update_patient(bob, mrn="MRN-9", sex="M")
    assert (updated.mrn, updated.sex, updated.name) == ("MRN-9", "M", "Bob Otieno")
    assert [p.id for p in vault.search_patients("ndlo")] == [alice]
    assert [p.id for p in vault.search_patients("mrn-9")] == [bob]
    assert {p.id for p in vault.search_patients()} == {alice, bob}
    with pytest.raises(InputError):
        vault.update_patient(bob, colour="blue")
    with pytest.raises(InputError):
        vault.add_patient("   ")
    with pytest.raises(RecordNotFoundError, match="Patient 999"):
        vault.get_patient(999)


def test_encounters_and_notes_keep_text_and_original_bytes(vault):
    pid = vault.add_patient("Chen Wei")
    enc = vault.add_encounter(pid, "2024-05-01", reason="follow-up")
    original = b"%PDF-1.4 original upload"
    nid = vault.add_note(pid, NOTE, encounter_id=enc, kind="pdf", source_name="letter.pdf",
                         source_bytes=original, note_date="2024-05-01")
    note = vault.get_note(nid)
    assert note.text == NOTE and note.kind == "pdf" and note.encounter_id == enc
    assert note.sha256 == hashlib.sha256(NOTE.encode()).hexdigest()
    assert note.source_sha256 == hashlib.sha256(original).hexdigest()
    assert vault.get_note_source(nid) == original
    plain = vault.add_note(pid, "Second note", note_date="2024-06-01")
    assert vault.get_note_source(plain) is None
    assert [n.id for n in vault.list_notes(pid)] == [nid, plain]
    assert [e.reason for e in vault.list_encounters(pid)] == ["follow-up"]
    with pytest.raises(InputError, match="empty"):
        vault.add_note(pid, "  ")
    with pytest.raises(RecordNotFoundError):
        vault.add_note(12345, NOTE)


def test_images_keep_bytes_and_metadata(vault):
    pid = vault.add_patient("Dana Scully")
    data = bytes(range(256)) * 40
    iid = vault.add_image(pid, data, source_name="cxr.dcm", media_type="application/dicom",
                          metadata={"Modality": "CR", "Rows": 512})
    image = vault.get_image(iid)
    assert image.data == data and image.metadata == {"Modality": "CR", "Rows": 512}
    assert image.sha256 == hashlib.sha256(data).hexdigest() and image.size == len(data)
    listed = vault.list_images(pid)
    assert [(i.id, i.data, i.media_type) for i in listed] == [(iid, None, "application/dicom")]


def test_analyses_and_decisions(vault):
    pid = vault.add_patient("Evan Moyo")
    nid = vault.add_note(pid, NOTE)
    prov = Provenance("rules:clinicdesk-notes", "1", "abc123").to_dict()
    span = NoteSpan(nid, 15, 25, NOTE[15:25]).to_dict()
    result = {"title": "Suggested diagnoses", "notice": "Suggestions only", "refusal": None,
              "items": [{"label": "Chest pain", "detail": "", "category": "symptom",
                         "score": 0.9, "supported": True, "evidence": [span]}]}
    aid = vault.add_analysis("diagnoses", patient_id=pid, inputs={"note_ids": [nid]},
                             provenance=prov, parameters={"top_k": 5}, result=result,
                             evidence=[span])
    stored = vault.get_analysis(aid)
    assert stored.result == result and stored.evidence == [span]
    assert Provenance.from_dict(stored.provenance).checksum == "abc123"
    assert stored.status == "done" and stored.created_by == VAULT_USER
    other = vault.add_analysis("summary.structured", patient_id=pid, inputs={}, provenance=prov,
                               parameters={}, result={"items": []}, evidence=[],
                               status="running")
    vault.update_analysis(other, status="done", result={"title": "S", "items": []})
    assert vault.get_analysis(other).status == "done"
    assert [a.id for a in vault.list_analyses(pid)] == [other, aid]
    assert [a.id for a in vault.list_analyses(pid, kind="diagnoses")] == [aid]

    assert vault.latest_decision(aid) is None
    vault.record_decision(aid, "accepted")
    edited = {**result, "items": []}
    vault.record_decision(aid, "edited", edited_result=edited, comment="not cardiac")
    latest = vault.latest_decision(aid)
    assert (latest.decision, latest.edited_result, latest.comment, latest.username) == (
        "edited", edited, "not cardiac", VAULT_USER)
    assert [d.decision for d in vault.list_decisions(aid)] == ["accepted", "edited"]
    with pytest.raises(InputError):
        vault.record_decision(aid, "maybe")
    with pytest.raises(InputError):
        vault.record_decision(aid, "edited")


def test_every_patient_access_is_audited_with_ids_only(vault):
    pid = vault.add_patient("Fatima Diallo")
    nid = vault.add_note(pid, NOTE)
    vault.get_patient(pid)
    vault.get_note(nid)
    vault.list_notes(pid)
    vault.search_patients("Fatima")
    log = vault.audit_log(limit=6)
    assert [(e.action, e.record_type) for e in reversed(log)][-6:] == [
        ("create", "patient"), ("create", "note"), ("read", "patient"), ("read", "note"),
        ("list_notes", "patient"), ("search", "patient")]
    assert all(e.username == VAULT_USER for e in log)
    assert all("Fatima" not in e.detail and "chest" not in e.detail for e in log)
    assert vault.verify_audit_chain().ok


def test_audit_chain_detects_edits_and_deletions(vault):
    pid = vault.add_patient("Gita Rao")
    for _ in range(3):
        vault.get_patient(pid)
    assert vault.verify_audit_chain()
    conn = vault._conn
    conn.execute("UPDATE audit_log SET username = 'someone.else' WHERE id = 3")
    report = vault.verify_audit_chain()
    assert not report.ok and "altered" in report.problems[0]
    conn.execute("UPDATE audit_log SET username = ? WHERE id = 3", (VAULT_USER,))
    assert vault.verify_audit_chain().ok
    conn.execute("DELETE FROM audit_log WHERE id = 2")
    assert any("missing" in p for p in vault.verify_audit_chain().problems)


def test_audit_chain_detects_deleted_tail(vault):
    vault.add_patient("Hana Sato")
    last = vault.audit_log(limit=1)[0].id
    vault._conn.execute("DELETE FROM audit_log WHERE id = ?", (last,))
    assert any("end" in p for p in vault.verify_audit_chain().problems)
    assert vault.integrity_check()


def test_worker_threads_share_one_vault(vault):
    pid = vault.add_patient("Ivan Petrov")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for i in range(20):
                vault.add_note(pid, f"note {i}")
                vault.list_notes(pid)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(vault.list_notes(pid)) == 80
    assert vault.integrity_check() == []


def test_data_survives_lock_and_unlock(vault, vault_path):
    pid = vault.add_patient("Jomo Kenyatta")
    nid = vault.add_note(pid, NOTE)
    vault.lock()
    with Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE) as again:
        assert again.get_note(nid).text == NOTE
        assert again.integrity_check() == []


def test_search_treats_wildcards_literally(vault):
    plain = vault.add_patient("Kim 100% Lee")
    vault.add_patient("Kimberly Lee")
    assert [p.id for p in vault.search_patients("100%")] == [plain]
    assert vault.search_patients("K_m") == []


def test_audit_log_of_one_patient(vault):
    first = vault.add_patient("Lia One")
    second = vault.add_patient("Max Two")
    note = vault.add_note(first, NOTE)
    vault.add_note(second, NOTE)
    vault.get_note(note)
    vault.list_notes(first)
    trail = vault.audit_log(patient_id=first)
    assert [(e.action, e.record_type) for e in reversed(trail)] == [
        ("create", "patient"), ("create", "note"), ("read", "note"), ("list_notes", "patient")]
    assert all(e.record_id != second for e in trail if e.record_type == "patient")


def test_a_patients_trail_includes_their_analyses_and_the_decisions_on_them(vault):
    first = vault.add_patient("Lia One")
    second = vault.add_patient("Max Two")
    mine = vault.add_analysis("diagnoses", patient_id=first, inputs={}, provenance={},
                              parameters={}, result={"items": []}, evidence=[])
    theirs = vault.add_analysis("diagnoses", patient_id=second, inputs={}, provenance={},
                                parameters={}, result={"items": []}, evidence=[])
    decision = vault.record_decision(mine, "rejected", comment="not this patient")
    vault.record_decision(theirs, "accepted")
    vault.list_decisions(mine)
    trail = vault.audit_log(patient_id=first)
    seen = {(e.action, e.record_type, e.record_id) for e in trail}
    assert {("create", "analysis", mine), ("rejected", "decision", decision),
            ("list_decisions", "analysis", mine)} <= seen
    assert not any(e.record_id == theirs for e in trail if e.record_type == "analysis")
    assert not any(e.action == "accepted" for e in trail)


def test_locking_while_a_worker_reads_stops_it_cleanly(vault):
    """Auto-lock fires while a worker thread is busy: it gets VaultLockedError, no crash."""
    from desktop.core.vault import VaultLockedError

    pid = vault.add_patient("Nadia Busy")
    vault.add_note(pid, NOTE)
    outcome: list[BaseException] = []
    started = threading.Event()

    def worker() -> None:
        try:
            while True:
                vault.list_notes(pid)
                started.set()
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    started.wait(10)
    vault.lock()
    thread.join(10)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], VaultLockedError)
    assert "locked" in str(outcome[0])
