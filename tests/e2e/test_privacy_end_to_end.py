"""A whole visit through the core entry points and the CLI leaves no plaintext patient data
on disk: not in the data dir, the system temp dir, ~/.cache or the repo's .cache.

The visit: a real SQLCipher vault, a patient with a distinctive name, a scanned PDF (read by
Tesseract) and a Word note, a real chest DICOM carrying the patient's name, diagnoses,
summaries in all three modes with the real SmolLM2/MiniLM packs, image findings with an
imported random-weight TorchXRayVision-shaped pack, decisions, a backup, lock, then the
CLI (`desktop analyse note`, `desktop vault check`). Files written
through Python during the visit are attributed to the code that opened them, so a hit
names its writer.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from desktop.core.analysis.diagnoses import run_diagnoses
from desktop.core.analysis.imaging import run_image_findings
from desktop.core.analysis.summary import MODES, run_summary
from desktop.core.config import Settings
from desktop.core.errors import InputError
from desktop.core.ingest.images import import_image_file
from desktop.core.ingest.notes import import_note_file
from desktop.core.logging_setup import configure_logging, stop_logging
from desktop.core.vault import Vault
from tests.core.ingest.note_samples import make_docx, scanned_pdf
from tests.fixtures.packs import REPO_ROOT
from tests.fixtures.vault import VAULT_PASSPHRASE, VAULT_USER

pytestmark = pytest.mark.slow

PATIENT_NAME = "Thaddeus Wolfenbarger-Nakamura"
MRN = "MRN-TW-48213"
QUARRY = "slate quarry at Blackmoor Fell"
IGUANA = "iguana named Pistachio"
MARKERS = (PATIENT_NAME, "Wolfenbarger", MRN, QUARRY, IGUANA)

WORD_NOTE = [
    "Clinic note",
    f"Patient: {PATIENT_NAME}, {MRN}.",
    "CHIEF COMPLAINT: Cough and fever.",
    f"HISTORY OF PRESENT ILLNESS: {PATIENT_NAME} is a 67-year-old man with hypertension who "
    f"works at the {QUARRY}. He presents with three days of productive cough, fever and "
    "shortness of breath. He denies chest pain. No hemoptysis.",
    f"SOCIAL HISTORY: Keeps a pet {IGUANA}. Never smoked.",
    "MEDICATIONS: lisinopril 10 mg daily, metformin 500 mg twice daily.",
    "ALLERGIES: penicillin.",
    "VITAL SIGNS: BP 138/84, HR 104, temperature 38.6 C, SpO2 91% on room air.",
    "PHYSICAL EXAMINATION: Crackles at the right base. No leg swelling.",
    "ASSESSMENT AND PLAN: Community acquired pneumonia of the right lower lobe. "
    "Start azithromycin. Return if chest pain develops.",
]
WORD_TABLE = [["Test", "Result"], ["CRP", "84 mg/L"], ["WBC", "14.2"]]
# A short scan keeps the visit quick; test_a_full_page_scan_is_read_by_ocr_without_temp_files
# covers a page image larger than a pipe buffer.
SCANNED_LINES = [f"Patient: {PATIENT_NAME}", "ASSESSMENT: Resolving pneumonia."]
CHEST_DICOM = "chest_xray/c64d5667-a776-4f95-9e21-bfabafb07740.dcm"


# --- the visit ---------------------------------------------------------------------------


def write_inputs(folder: Path, dicom_dir: Path, *, scanned: bool = True) -> dict[str, Path]:
    """The clinician's files: a Word note, a scanned PDF note and a chest DICOM that names
    the patient (as a PACS export does)."""
    import pydicom

    folder.mkdir(parents=True, exist_ok=True)
    # Named the way clinics name files: after the patient (file names are patient data too).
    files = {"docx": folder / "Wolfenbarger clinic note.docx"}
    files["docx"].write_bytes(make_docx(WORD_NOTE, WORD_TABLE))
    if scanned:
        files["scan"] = folder / "Wolfenbarger follow-up scan.pdf"
        files["scan"].write_bytes(scanned_pdf(SCANNED_LINES))
    ds = pydicom.dcmread(dicom_dir / CHEST_DICOM)
    ds.PatientName = "Wolfenbarger-Nakamura^Thaddeus"
    ds.PatientID = MRN
    files["dicom"] = folder / "Wolfenbarger chest.dcm"
    ds.save_as(files["dicom"])
    files["broken"] = folder / "Wolfenbarger referral.pdf"  # a Word file saved as .pdf
    files["broken"].write_bytes(make_docx(WORD_NOTE, WORD_TABLE))
    return files


@dataclass
class Visit:
    patient_id: int = 0
    note_ids: dict[str, int] = field(default_factory=dict)
    image_id: int = 0
    analyses: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, list[str]] = field(default_factory=dict)


def run_visit(vault: Vault, settings: Settings, runtime, cxr_runtime, files: dict[str, Path],
              *, max_new_tokens: int = 24) -> Visit:
    """What a clinician does in one visit, through the same core calls the GUI makes."""
    visit = Visit()
    visit.patient_id = vault.add_patient(PATIENT_NAME, birth_date="1959-04-12", sex="M",
                                         mrn=MRN)
    encounter = vault.add_encounter(visit.patient_id, "2026-11-25", reason="Cough and fever")
    for key, date in (("scan", "2026-11-20"), ("docx", "2026-11-25")):
        if key not in files:
            continue
        imported = import_note_file(files[key], settings)
        visit.note_ids[key] = vault.add_note(
            visit.patient_id, imported.text, encounter_id=encounter, kind=imported.kind,
            source_name=imported.source_name, source_bytes=imported.source_bytes,
            note_date=date,
        )
    with pytest.raises(InputError):  # refused, and the refusal must not spill the note
        import_note_file(files["broken"], settings)
    image = import_image_file(files["dicom"], settings)
    visit.image_id = vault.add_image(
        visit.patient_id, image.data, encounter_id=encounter, source_name=image.source_name,
        media_type=image.media_type, metadata=image.metadata,
    )
    visit.analyses["diagnoses"] = run_diagnoses(vault, visit.note_ids["docx"], runtime)
    for mode in MODES:
        tokens: list[str] = []
        visit.analyses[f"summary.{mode}"] = run_summary(
            vault, visit.patient_id, runtime if mode != "structured" else None, mode=mode,
            on_token=tokens.append, max_new_tokens=max_new_tokens,
        )
        visit.tokens[mode] = tokens
    visit.analyses["image_findings"] = run_image_findings(vault, visit.image_id, cxr_runtime)
    vault.record_decision(visit.analyses["diagnoses"], "accepted")
    structured = vault.get_analysis(visit.analyses["summary.structured"]).result
    vault.record_decision(
        visit.analyses["summary.structured"], "edited",
        edited_result={**structured, "title": f"Summary for {PATIENT_NAME}"},
        comment=f"Added exposure at the {QUARRY}",
    )
    vault.record_decision(visit.analyses["summary.abstractive"], "rejected",
                          comment="Too vague")
    vault.record_decision(visit.analyses["summary.patient"], "accepted")
    vault.record_decision(visit.analyses["image_findings"], "rejected",
                          comment="Random-weight model")
    return visit


def check_visit_stored(vault: Vault, visit: Visit) -> None:
    """The results a clinician would see are stored, grounded and carry provenance."""
    assert vault.search_patients("Wolfenbarger")[0].id == visit.patient_id
    notes = {n.id: n.text for n in vault.list_notes(visit.patient_id)}
    assert QUARRY in notes[visit.note_ids["docx"]]
    if "scan" in visit.note_ids:  # read by OCR from the scanned page
        assert "Resolving pneumonia" in notes[visit.note_ids["scan"]]
    for kind, analysis_id in visit.analyses.items():
        analysis = vault.get_analysis(analysis_id)
        assert analysis.kind == kind and analysis.patient_id == visit.patient_id
        assert analysis.provenance["pack_id"] and analysis.provenance["checksum"]
        assert vault.latest_decision(analysis_id) is not None
        for span in analysis.evidence:
            if "note_id" in span and span.get("note_id") is not None:
                assert notes[span["note_id"]][span["start"]:span["end"]] == span["text"]
    diagnoses = vault.get_analysis(visit.analyses["diagnoses"]).result
    excluded = {(e["evidence"]["start"], e["evidence"]["end"]) for e in diagnoses["excluded"]}
    assert excluded  # "denies chest pain", "No hemoptysis"...
    for item in diagnoses["items"]:
        if item["category"] == "icd10":  # a negated finding is never coded as the patient's
            assert not {(e["start"], e["end"]) for e in item["evidence"]} & excluded, item
    for mode in ("abstractive", "patient"):  # only sentences the notes support are shown
        for item in vault.get_analysis(visit.analyses[f"summary.{mode}"]).result["items"]:
            assert item["supported"] is True and item["evidence"], item
    assert vault.get_analysis(visit.analyses["summary.structured"]).result["items"]
    findings = vault.get_analysis(visit.analyses["image_findings"]).result
    assert findings["refusal"] is None and len(findings["items"]) == 18
    assert "".join(visit.tokens["abstractive"]).strip()  # the LLM really streamed text


# --- where files come from -----------------------------------------------------------------


class WriteLog:
    """Every file opened for writing (or renamed into place) through Python, with the code
    that did it: an audit hook, active only while ``recording``."""

    installed: WriteLog | None = None

    def __init__(self) -> None:
        self.writers: dict[str, str] = {}
        self.recording = False

    @classmethod
    def get(cls) -> WriteLog:
        if cls.installed is None:
            cls.installed = WriteLog()
            sys.addaudithook(cls.installed._hook)  # cannot be removed; idle when not recording
        return cls.installed

    def _hook(self, event: str, args: tuple) -> None:
        if not self.recording:
            return
        if event == "open":
            path, _mode, flags = args
            if not isinstance(path, (str, bytes, os.PathLike)) or not flags:
                return  # a file descriptor, or opened read-only
            if not flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND):
                return
        elif event == "os.rename":
            path = args[1]
        else:
            return
        self.writers.setdefault(os.path.realpath(os.fsdecode(path)), _writer())

    def writer_of(self, path: Path) -> str:
        return self.writers.get(os.path.realpath(path),
                                "not written through Python: SQLite, native code or a "
                                "subprocess (e.g. tesseract)")


def _writer() -> str:
    """The innermost project frame (desktop/ or tests/) that opened a file, and the library
    call it went through."""
    frame = sys._getframe(2)
    repo = str(REPO_ROOT) + os.sep
    library = None
    while frame is not None:
        name = frame.f_code.co_filename
        where = f"{name.removeprefix(repo)}:{frame.f_lineno} in {frame.f_code.co_name}"
        if name.startswith(repo) and "site-packages" not in name:
            return f"{where} (via {library or 'the standard library'})"
        if library is None and "site-packages" in name:
            library = where
        frame = frame.f_back
    return f"code outside the project (via {library or 'the standard library'})"


@pytest.fixture
def write_log() -> Iterator[WriteLog]:
    log = WriteLog.get()
    log.writers.clear()
    log.recording = True
    yield log
    log.recording = False


# --- the scan --------------------------------------------------------------------------------

INPUTS_DIR_NAME = "clinician-files"
CHUNK = 8 * 1024 * 1024
MAX_SCAN_BYTES = 1024**3  # sparse test files of several GB elsewhere are skipped


def _needles(markers: tuple[str, ...]) -> list[tuple[str, str, bytes]]:
    out = []
    for marker in markers:
        folded = marker.casefold()  # matched against ASCII-lowercased file bytes
        out.append((marker, "UTF-8", folded.encode("utf-8")))
        out.append((marker, "UTF-16-LE", folded.encode("utf-16-le")))
    return out


def file_hits(path: Path, markers: tuple[str, ...] = MARKERS) -> list[str]:
    """Which markers occur in the file (any case, UTF-8 or UTF-16-LE)."""
    needles = _needles(markers)
    overlap = max(len(n) for _, _, n in needles)
    found: set[str] = set()
    try:
        if path.stat().st_size > MAX_SCAN_BYTES:
            return []
        with path.open("rb") as fh:
            tail = b""
            while chunk := fh.read(CHUNK):
                window = tail + chunk.lower()
                found.update(f"{m!r} ({enc})" for m, enc, n in needles if n in window)
                tail = window[-overlap:]
    except (FileNotFoundError, PermissionError, IsADirectoryError, OSError):
        return []  # removed meanwhile, or a socket/fifo
    return sorted(found)


def files_under(root: Path, *, since: float | None = None,
                skip: tuple[Path, ...] = ()) -> list[Path]:
    """Regular files under ``root`` (optionally only those changed since ``since``)."""
    out = []
    if not root.is_dir():
        return out
    skipped = {str(s) for s in skip}
    for folder, dirs, names in os.walk(root, onerror=lambda e: None):
        # Clinicians' own input files hold the name by design, in this run and in any
        # other test run sharing the machine's temp dir.
        dirs[:] = [d for d in dirs
                   if os.path.join(folder, d) not in skipped and d != INPUTS_DIR_NAME]
        for name in names:
            path = Path(folder, name)
            try:
                st = path.lstat()
            except OSError:
                continue
            if not path.is_file() or path.is_symlink():
                continue
            if since is not None and max(st.st_mtime, st.st_ctime) < since:
                continue
            out.append(path)
    return out


def mtime_ns(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:  # removed meanwhile (other test runs share the temp dir)
        return None


def snapshot(root: Path) -> dict[str, int | None]:
    return {str(p): mtime_ns(p) for p in files_under(root)}


def changed_since(root: Path, before: dict[str, int | None], started: float,
                  skip: tuple[Path, ...] = ()) -> list[Path]:
    """Files under ``root`` created or modified since the snapshot ``before``."""
    return [p for p in files_under(root, since=started, skip=skip)
            if (m := mtime_ns(p)) is not None and before.get(str(p)) != m]


def leak_report(paths: list[Path], write_log: WriteLog | None) -> list[str]:
    report = []
    for path in sorted(set(paths)):
        hits = file_hits(path)
        if hits:
            writer = write_log.writer_of(path) if write_log else "unknown"
            report.append(f"{path}: {', '.join(hits)} -- written by {writer}")
    return report


# --- the test --------------------------------------------------------------------------------


def _cli(argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
         stdin: str = "") -> tuple[int, str]:
    from desktop.cli import main

    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    capsys.readouterr()
    code = main(argv)
    return code, capsys.readouterr().out


def test_whole_visit_leaves_no_plaintext_patient_data_on_disk(
    tmp_path: Path, isolated_data_dir: Path, vault: Vault, runtime, cxr_runtime, cxr_pack,
    dicom_dir: Path, write_log: WriteLog, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    started = time.time() - 1.0
    temp_root = Path(tempfile.gettempdir())
    home_cache = Path.home() / ".cache"
    temp_before = snapshot(temp_root)
    settings = cxr_runtime.settings  # the test's own data dir (vault, logs, chest X-ray pack)
    assert settings.data_dir == isolated_data_dir
    inputs = tmp_path / INPUTS_DIR_NAME  # the clinician's own files
    files = write_inputs(inputs, dicom_dir)
    configure_logging(settings, level=logging.DEBUG)  # everything that logs, logs to disk
    try:
        visit = run_visit(vault, settings, runtime, cxr_runtime, files)
        check_visit_stored(vault, visit)
        backup = vault.backup(settings.backups_dir / "after-visit.vault")
        vault.lock()
        restored = Vault.restore(backup, tmp_path / "restored" / "clinicdesk.vault",
                                 username=VAULT_USER, passphrase=VAULT_PASSPHRASE)
        with Vault.unlock(restored, VAULT_USER, VAULT_PASSPHRASE) as copy:
            check_visit_stored(copy, visit)  # the backup holds the whole visit
        code, shown = _cli(["analyse", "note", str(files["docx"])], monkeypatch, capsys)
        assert code == 0 and "J18" in shown  # pneumonia coded; printed, never stored
        code, shown = _cli(["vault", "check", "--user", VAULT_USER], monkeypatch, capsys,
                           stdin=VAULT_PASSPHRASE + "\n")
        assert code == 0 and shown.startswith("OK")
    finally:
        write_log.recording = False
        stop_logging()

    data_files = files_under(isolated_data_dir)
    names = {p.name for p in data_files}
    assert {"clinicdesk.vault", "clinicdesk.vault.keys", "clinicdesk.log", backup.name} <= names
    temp_new = changed_since(temp_root, temp_before, started, skip=(inputs,))
    scanned = (data_files + temp_new + files_under(home_cache, since=started)
               + files_under(REPO_ROOT / ".cache", since=started)
               + files_under(tmp_path, skip=(inputs,)))
    assert leak_report(scanned, write_log) == []

    # The vault still opens and holds the whole visit.
    with Vault.unlock(settings.vault_path, VAULT_USER, VAULT_PASSPHRASE) as reopened:
        assert reopened.integrity_check() == []
        check_visit_stored(reopened, visit)


def test_the_scan_finds_plaintext_and_names_its_writer(tmp_path: Path,
                                                       write_log: WriteLog) -> None:
    """The detector itself: a careless module's file is found in every encoding."""
    decoys = tmp_path / INPUTS_DIR_NAME  # never scanned by a visit test running meanwhile
    decoys.mkdir()
    leaky = decoys / "leaky.txt"
    with open(leaky, "w", encoding="utf-16-le") as fh:
        fh.write(f"note for {PATIENT_NAME.upper()}")
    write_log.recording = False
    (report,) = leak_report([leaky], write_log)
    assert "'Wolfenbarger' (UTF-16-LE)" in report
    assert "test_privacy_end_to_end.py" in report  # the writer: the code that opened it
    utf8 = decoys / "utf8.bin"
    utf8.write_bytes(b"\x00" * (CHUNK - 3) + IGUANA.encode())  # straddles a chunk boundary
    assert file_hits(utf8) == [f"{IGUANA!r} (UTF-8)"]


FULL_PAGE = [
    f"Patient: {PATIENT_NAME}   {MRN}",
    "CHIEF COMPLAINT: Cough and fever.",
    f"SOCIAL HISTORY: Works at the {QUARRY}.",
    "MEDICATIONS: lisinopril 10 mg daily.",
    "ALLERGIES: penicillin.",
    "VITAL SIGNS: BP 138/84, HR 104.",
    "PHYSICAL EXAMINATION: Crackles at the right base.",
    "ASSESSMENT: Resolving pneumonia.",
    "PLAN: Repeat chest x-ray in 6 weeks.",
] * 3


def test_a_full_page_scan_is_read_by_ocr_without_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real scanned page (its page image is hundreds of KB, far more than a pipe holds)."""
    from desktop.core.ingest import ocr

    # Bounded failure instead of the 5-minute limit; a short poll makes the first write
    # window small, as it is on a busy machine (the outcome must not depend on timing).
    monkeypatch.setattr(ocr, "OCR_TIMEOUT_SECONDS", 30.0)  # a page takes ~2 s
    monkeypatch.setattr(ocr, "_POLL_SECONDS", 0.01)
    inputs = tmp_path / INPUTS_DIR_NAME
    inputs.mkdir()
    path = inputs / "full-page-scan.pdf"
    path.write_bytes(scanned_pdf(FULL_PAGE))
    temp_root = Path(tempfile.gettempdir())
    before = snapshot(temp_root)
    started = time.time() - 1.0
    imported = import_note_file(path, Settings(data_dir=tmp_path / "data"))
    assert imported.kind == "pdf-ocr"
    assert imported.text.count("Resolving pneumonia") == 3
    fresh = changed_since(temp_root, before, started, skip=(inputs,))
    assert leak_report(fresh, None) == []


def test_codes_never_rest_on_a_heading_or_the_patients_identity_line(
    tmp_path: Path, vault: Vault, runtime, dicom_dir: Path
) -> None:
    """A suggested ICD-10-CM code points at clinical words, not at 'HISTORY OF PRESENT
    ILLNESS:' or at the line naming the patient."""
    files = write_inputs(tmp_path / INPUTS_DIR_NAME, dicom_dir, scanned=False)
    imported = import_note_file(files["docx"], Settings(data_dir=tmp_path / "data"))
    patient_id = vault.add_patient(PATIENT_NAME, mrn=MRN)
    note_id = vault.add_note(patient_id, imported.text, kind=imported.kind)
    result = vault.get_analysis(run_diagnoses(vault, note_id, runtime)).result
    bad = []
    for item in result["items"]:
        if item["category"] != "icd10":
            continue
        for span in item["evidence"]:
            text = span["text"].strip()
            if text.endswith(":") or "Wolfenbarger" in text or MRN in text:
                bad.append(f"{item['label']} <- {text!r}")
    assert bad == [], "\n".join(bad)
