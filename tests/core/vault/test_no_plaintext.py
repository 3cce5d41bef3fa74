"""After a full clinical workflow no file on disk holds a patient's name or note text."""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

from desktop.core.config import load_settings
from desktop.core.logging_setup import LOG_FILE, configure_logging, safe, stop_logging
from desktop.core.provenance import NoteSpan, Provenance
from desktop.core.vault import Vault, keys
from tests.fixtures.vault import VAULT_PASSPHRASE, VAULT_USER

NAME = "Zebediah Quillfeather-Okonkwo"
NOTE = "Zebediah complains of a violaceous serpiginous rash on the left shin since Tuesday."
MARKERS = [NAME, "Quillfeather", "violaceous serpiginous", "MRN-ZQ-99817"]


def _encodings(marker: str) -> list[bytes]:
    return [marker.encode("utf-8"), marker.encode("utf-16-le"), marker.upper().encode("utf-8")]


def _files_with_markers(paths: list[Path]) -> list[str]:
    hits = []
    for path in paths:
        data = path.read_bytes()
        for marker in MARKERS:
            if any(enc in data for enc in _encodings(marker)):
                hits.append(f"{path}: {marker}")
    return hits


def test_full_workflow_leaves_no_plaintext_anywhere(tmp_path, isolated_data_dir):
    started = time.time()
    settings = load_settings()
    log_path = configure_logging(settings, level=logging.DEBUG)
    log = logging.getLogger("desktop.test")
    try:
        vault, _recovery = Vault.create(settings.vault_path, VAULT_USER, "Dr Grey",
                                        VAULT_PASSPHRASE, kdf=keys.TEST_KDF)
        pid = vault.add_patient(NAME, birth_date="1961-01-01", mrn="MRN-ZQ-99817")
        enc = vault.add_encounter(pid, "2024-03-05", reason=f"Rash ({NAME})")
        nid = vault.add_note(pid, NOTE, encounter_id=enc, kind="txt", source_name=f"{NAME}.txt",
                             source_bytes=NOTE.encode("utf-8"))
        iid = vault.add_image(pid, b"\x00" * 64 + NAME.encode() + b"\x00" * 4000,
                              media_type="application/dicom", source_name=f"{NAME}.dcm",
                              metadata={"PatientName": NAME, "PatientID": "MRN-ZQ-99817"})
        span = NoteSpan(nid, 0, 40, NOTE[:40]).to_dict()
        aid = vault.add_analysis(
            "summary.patient", patient_id=pid, inputs={"note_ids": [nid], "image_ids": [iid]},
            provenance=Provenance("rules:test", "1", "0" * 64).to_dict(), parameters={},
            result={"title": f"Summary for {NAME}", "items": [{"label": NOTE[:60],
                                                               "evidence": [span]}]},
            evidence=[span])
        vault.record_decision(aid, "edited", edited_result={"title": NAME, "items": []},
                              comment=f"checked {NOTE[:30]}")
        assert vault.search_patients("Quillfeather")[0].id == pid
        vault.get_note(nid)
        vault.get_image(iid)
        # Careless logging of content is redacted; ids and safe strings get through.
        log.info("opened patient %s name=%s note=%r", pid, NAME, NOTE)
        try:
            raise ValueError(f"cannot parse note for {NAME}: {NOTE}")
        except ValueError:
            log.exception("import failed for note %s", nid)
        log.info("analysis %s by %s", aid, safe(VAULT_USER))
        vault.backup(settings.backups_dir / "nightly.vault")
        vault.lock()
    finally:
        stop_logging()

    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"clinicdesk.vault", "clinicdesk.vault.keys", LOG_FILE, "nightly.vault",
            "nightly.vault.keys"} <= names
    assert _files_with_markers(files) == []
    log_text = log_path.read_text()
    assert f"opened patient {pid} name=<redacted>" in log_text
    assert "ValueError: (message withheld" in log_text
    assert f"analysis {aid} by {VAULT_USER}" in log_text
    # Nothing was spilled into the system temp dir during the test either.
    fresh_temp = [p for p in Path(tempfile.gettempdir()).glob("*")
                  if p.is_file() and p.stat().st_mtime >= started and p.stat().st_size < 50e6]
    assert _files_with_markers(fresh_temp) == []


def test_open_vault_files_hold_no_plaintext_while_unlocked(vault, vault_path):
    """The WAL and shared-memory files of an open vault are encrypted too."""
    pid = vault.add_patient(NAME)
    vault.add_note(pid, NOTE)
    wal = vault_path.with_name(vault_path.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0
    files = [p for p in vault_path.parent.iterdir() if p.is_file()]
    assert _files_with_markers(files) == []
