"""Bad input, end to end: every refusal is a ClinicDeskError a clinician can read, and the
vault is exactly as it was (same records, integrity check clean).

Driven the way the GUI and the CLI drive core: import a file, store it, analyse it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desktop.core.analysis.diagnoses import run_diagnoses
from desktop.core.analysis.imaging import run_image_findings
from desktop.core.analysis.summary import run_summary
from desktop.core.config import Settings, load_settings
from desktop.core.errors import ClinicDeskError, InputError, NotAvailableError
from desktop.core.inference import ModelRuntime
from desktop.core.ingest.images import decode_image, import_image_file
from desktop.core.ingest.notes import import_note_file, import_pasted_text
from desktop.core.vault import Vault, WrongPassphraseError
from tests.core.ingest.note_samples import make_text_pdf
from tests.fixtures.notes import CLINIC_NOTE
from tests.fixtures.vault import VAULT_PASSPHRASE, VAULT_USER

# Words that only a programmer understands; a clinician or IT admin must never see them.
JARGON = (
    "NoneType", "Traceback", "errno", "object has no attribute", "not subscriptable",
    "invalid literal", "int()", "unexpected keyword", "exceptions were raised", "plugins",
    "KeyError", "ValueError", "TypeError", "AttributeError", "RuntimeError", "OSError",
    "Exception", "(None)", "b'", "\\x", "0x",
)
GIGABYTES_2 = 2 * 1024**3


def assert_readable(error: BaseException) -> str:
    """A whole, plain sentence (or several) written for people, not a library's text."""
    message = str(error)
    assert isinstance(error, ClinicDeskError), f"{type(error).__name__}: {message}"
    assert 15 <= len(message) <= 600, message
    lowered = message.lower()
    for word in JARGON:
        assert word.lower() not in lowered, f"{word!r} in {message!r}"
    assert message.rstrip().endswith((".", ".)")), f"not a complete sentence: {message!r}"
    cause = error.__cause__ or error.__context__
    if cause is not None and not isinstance(cause, ClinicDeskError):
        library_text = str(cause).strip().splitlines()[0][:50] if str(cause).strip() else ""
        if len(library_text) >= 20:
            assert library_text not in message, f"library text shown: {message!r}"
    return message


def clinical_rows(vault: Vault) -> dict[str, int]:
    """Row counts of everything but the audit log (reads are audited, by design)."""
    return {t: n for t, n in vault.row_counts().items() if t != "audit_log"}


def refused(vault: Vault, action: Callable[[], Any],
            expected: type[ClinicDeskError] = ClinicDeskError) -> str:
    """Run ``action``; it must be refused readably and leave the vault unchanged."""
    before = clinical_rows(vault)
    with pytest.raises(ClinicDeskError) as info:
        action()
    assert isinstance(info.value, expected), f"{type(info.value).__name__}: {info.value}"
    message = assert_readable(info.value)
    assert clinical_rows(vault) == before
    assert vault.integrity_check() == []
    return message


@pytest.fixture
def clinic(vault: Vault, shared_data: Path) -> tuple[Vault, int, int, int]:
    """A vault with one patient, one good note and one good chest X-ray stored."""
    patient_id = vault.add_patient("Test Patient", birth_date="1957-02-01", sex="M")
    note_id = vault.add_note(patient_id, CLINIC_NOTE, note_date="2024-03-04")
    image = import_image_file(
        shared_data / "dicom/chest_xray/c64d5667-a776-4f95-9e21-bfabafb07740.dcm",
        load_settings(),
    )
    image_id = vault.add_image(patient_id, image.data, source_name=image.source_name,
                               media_type=image.media_type, metadata=image.metadata)
    return vault, patient_id, note_id, image_id


def store_note_file(vault: Vault, patient_id: int, path: Path) -> int:
    """What the GUI's note import does: read the file, then store it."""
    imported = import_note_file(path, load_settings())
    return vault.add_note(patient_id, imported.text, kind=imported.kind,
                          source_name=imported.source_name, source_bytes=imported.source_bytes)


def store_image_file(vault: Vault, patient_id: int, path: Path) -> int:
    imported = import_image_file(path, load_settings())
    return vault.add_image(patient_id, imported.data, source_name=imported.source_name,
                           media_type=imported.media_type, metadata=imported.metadata)


def sparse_file(path: Path, size: int = GIGABYTES_2) -> Path:
    with open(path, "wb") as handle:
        handle.truncate(size)  # 2 GB on paper, nothing on disk
    return path


def cli(argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        stdin: str = "") -> tuple[int, str]:
    from desktop.cli import main

    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.err


# --- notes ---------------------------------------------------------------------------------


def _blank_docx() -> bytes:
    import docx

    document = docx.Document()
    for _ in range(3):
        document.add_paragraph("   ")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _pixel_bomb_png() -> bytes:
    """A small PNG whose header claims 40000 x 40000 pixels (a decompression bomb)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 40_000, 40_000, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))


NOTE_FILES: dict[str, Callable[[], bytes]] = {
    "pixel-bomb.png": _pixel_bomb_png,
    "empty.txt": lambda: b"",
    "whitespace.txt": lambda: b"  \r\n\t   \n\n   ",
    "whitespace-utf16.txt": lambda: "\ufeff   \n\t ".encode("utf-16-le"),
    "blank.docx": _blank_docx,
    "blank-page.pdf": lambda: make_text_pdf([["   "]]),
    "random-bytes.pdf": lambda: random.Random(7).randbytes(50_000),
    "pdf-header-then-garbage.pdf": lambda: b"%PDF-1.7\n" + random.Random(8).randbytes(20_000),
    "picture-renamed.docx": lambda: b"\x89PNG\r\n\x1a\n" + random.Random(9).randbytes(5_000),
    "zip-renamed.docx": lambda: b"PK\x03\x04" + random.Random(10).randbytes(5_000),
}


@pytest.mark.parametrize("name", sorted(NOTE_FILES))
def test_bad_note_files_are_refused_and_nothing_is_stored(clinic, tmp_path: Path,
                                                          name: str) -> None:
    vault, patient_id, _, _ = clinic
    path = tmp_path / name
    path.write_bytes(NOTE_FILES[name]())
    message = refused(vault, lambda: store_note_file(vault, patient_id, path), InputError)
    assert name in message  # the clinician learns which file it was


def test_blank_notes_typed_or_stored_directly_are_refused(clinic) -> None:
    vault, patient_id, _, _ = clinic
    refused(vault, lambda: import_pasted_text(" \n\t "), InputError)
    refused(vault, lambda: vault.add_note(patient_id, "  \n  "), InputError)
    refused(vault, lambda: vault.add_note(patient_id, ""), InputError)


@pytest.mark.parametrize("name", ["huge.pdf", "huge.txt", "huge.docx", "huge.png"])
def test_a_2gb_note_file_is_refused_before_it_is_read(clinic, tmp_path: Path,
                                                      name: str) -> None:
    vault, patient_id, _, _ = clinic
    path = sparse_file(tmp_path / name)
    message = refused(vault, lambda: store_note_file(vault, patient_id, path), InputError)
    assert "MB" in message and name in message


def test_the_cli_refuses_a_binary_pdf_with_a_plain_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "referral.pdf"
    path.write_bytes(random.Random(3).randbytes(30_000))
    code, err = cli(["analyse", "note", "--no-embeddings", str(path)], capsys, monkeypatch)
    assert code == 2
    assert err.startswith("error: ") and "referral.pdf" in err
    assert_readable(InputError(err.removeprefix("error: ").strip()))


# --- images --------------------------------------------------------------------------------


def broken_dicoms(shared: Path) -> list[tuple[str, str]]:
    """(path, what the index says) for every DICOM the index marks as failing to decode."""
    with (shared / "dicom" / "index.csv").open(newline="", encoding="utf-8") as fh:
        return [(row["path"], row["pixel_decode"]) for row in csv.DictReader(fh)
                if row["pixel_decode"].startswith("ERR")]


def _shared_root() -> Path:
    from tests.conftest import SHARED_DATA

    return SHARED_DATA


BROKEN = broken_dicoms(_shared_root()) if (_shared_root() / "dicom").is_dir() else []


@pytest.mark.parametrize(("relative", "why"), BROKEN, ids=[Path(p).name for p, _ in BROKEN])
def test_each_broken_dicom_is_refused_readably_and_nothing_is_stored(
    clinic, shared_data: Path, relative: str, why: str
) -> None:
    vault, patient_id, _, _ = clinic
    path = shared_data / relative
    if "not installed" in why:
        # Broken only where a JPEG Lossless decoder is missing: with one, it must decode.
        try:
            imported = import_image_file(path, load_settings())
        except InputError as error:
            assert_readable(error)
        else:
            assert decode_image(imported.data, imported.media_type).pixels.ndim == 2
        return
    message = refused(vault, lambda: store_image_file(vault, patient_id, path), InputError)
    assert path.name in message


@pytest.mark.parametrize(
    "name", ["random.dcm", "random.png", "text.jpg", "empty.dcm", "pixel-bomb.png",
             "half-a-chest.dcm"])
def test_files_that_are_not_images_are_refused(clinic, tmp_path: Path, shared_data: Path,
                                               name: str) -> None:
    vault, patient_id, _, _ = clinic
    chest = (shared_data / "dicom/chest_xray/c64d5667-a776-4f95-9e21-bfabafb07740.dcm")
    content = {"random.dcm": lambda: random.Random(1).randbytes(4096),
               "random.png": lambda: b"\x89PNG\r\n\x1a\n" + random.Random(2).randbytes(4096),
               "text.jpg": CLINIC_NOTE.encode, "empty.dcm": lambda: b"",
               "pixel-bomb.png": _pixel_bomb_png,
               "half-a-chest.dcm": lambda: chest.read_bytes()[: chest.stat().st_size // 2],
               }[name]()
    path = tmp_path / name
    path.write_bytes(content)
    refused(vault, lambda: store_image_file(vault, patient_id, path), InputError)


def test_a_2gb_image_is_refused_before_it_is_read(clinic, tmp_path: Path) -> None:
    vault, patient_id, _, _ = clinic
    path = sparse_file(tmp_path / "whole-body.dcm")
    message = refused(vault, lambda: store_image_file(vault, patient_id, path), InputError)
    assert "MB" in message


def test_the_cli_refuses_a_broken_dicom_with_a_plain_message(
    shared_data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = shared_data / "dicom/pydicom_test_files/MR_truncated.dcm"
    code, err = cli(["findings", str(path)], capsys, monkeypatch)
    assert code == 2 and "MR_truncated.dcm" in err
    assert_readable(InputError(err.removeprefix("error: ").strip()))


# --- missing model packs -------------------------------------------------------------------


@pytest.fixture
def packless_runtime(tmp_path: Path):
    """A runtime whose settings point at an empty packs dir (nothing installed)."""
    settings = Settings(data_dir=tmp_path / "no-packs")
    settings.packs_dir.mkdir(parents=True)
    runtime = ModelRuntime(settings)
    yield runtime
    runtime.close()


@pytest.mark.parametrize("mode", ["abstractive", "patient"])
def test_llm_summaries_without_a_pack_say_how_it_gets_installed(clinic, packless_runtime,
                                                                mode: str) -> None:
    vault, patient_id, _, _ = clinic
    message = refused(
        vault, lambda: run_summary(vault, patient_id, packless_runtime, mode=mode),
        NotAvailableError,
    )
    assert "desktop models" in message  # what IT runs to install it


def test_image_findings_without_a_pack_say_how_it_gets_installed(clinic,
                                                                 packless_runtime) -> None:
    vault, _, _, image_id = clinic
    message = refused(vault, lambda: run_image_findings(vault, image_id, packless_runtime),
                      NotAvailableError)
    assert "desktop models import" in message


def test_without_packs_the_rule_based_results_still_work_and_say_so(clinic,
                                                                    packless_runtime) -> None:
    """Diagnoses degrade to the term index and say so; the structured summary needs no model."""
    vault, patient_id, note_id, _ = clinic
    diagnoses = vault.get_analysis(run_diagnoses(vault, note_id, packless_runtime)).result
    assert "not installed" in diagnoses["notice"]
    assert any(i.get("code", "").startswith("J18") for i in diagnoses["items"])
    summary = vault.get_analysis(
        run_summary(vault, patient_id, packless_runtime, mode="structured")).result
    assert summary["items"] and summary["refusal"] is None
    assert vault.integrity_check() == []


def test_the_cli_without_a_chest_xray_pack_says_how_to_install_one(
    shared_data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = shared_data / "dicom/chest_xray/c64d5667-a776-4f95-9e21-bfabafb07740.dcm"
    code, err = cli(["findings", str(path)], capsys, monkeypatch)
    assert code == 2 and "desktop models import" in err


# --- the vault -------------------------------------------------------------------------------


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    for part in (path, path.with_name(path.name + "-wal")):
        if part.exists():
            digest.update(part.read_bytes())
    return digest.hexdigest()


def test_a_wrong_passphrase_is_refused_and_changes_nothing(
    clinic, vault_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    vault, patient_id, _, _ = clinic
    rows = clinical_rows(vault)
    vault.lock()
    database = _file_digest(vault_path)
    no_wait = lambda seconds: None  # noqa: E731  (the growing delay is tested by the vault area)
    for user, secret in ((VAULT_USER, "correct horse battery stapler"),
                         (VAULT_USER, ""), ("dr.nobody", VAULT_PASSPHRASE)):
        with pytest.raises(WrongPassphraseError) as info:
            Vault.unlock(vault_path, user, secret, sleep=no_wait)
        assert_readable(info.value)
    with pytest.raises(WrongPassphraseError) as info:
        Vault.unlock_with_recovery(vault_path, "AAAA-BBBB-CCCC-DDDD", sleep=no_wait)
    assert_readable(info.value)
    monkeypatch.setattr("desktop.core.vault.keys.DEFAULT_SLEEP", no_wait)
    code, err = cli(["vault", "check", "--user", VAULT_USER], capsys, monkeypatch,
                    stdin="not my passphrase\n")
    assert code == 2 and err.startswith("error: ")
    assert_readable(WrongPassphraseError(err.removeprefix("error: ").strip()))
    assert _file_digest(vault_path) == database  # not one byte of the database changed
    with Vault.unlock(vault_path, VAULT_USER, VAULT_PASSPHRASE, sleep=no_wait) as reopened:
        assert clinical_rows(reopened) == rows
        assert reopened.integrity_check() == []
        assert reopened.get_patient(patient_id).name == "Test Patient"


def test_a_damaged_chest_xray_pack_is_refused_not_loaded(clinic, cxr_runtime, cxr_pack) -> None:
    """A pack file changed after install (disk fault, tampering) never produces findings."""
    vault, _, _, image_id = clinic
    (weights,) = [f for f in cxr_pack.path.iterdir() if f.name != "manifest.toml"]
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    message = refused(vault, lambda: run_image_findings(vault, image_id, cxr_runtime))
    assert cxr_pack.id in message
    assert cxr_pack.id not in cxr_runtime.loaded_pack_ids()


def test_records_that_are_gone_or_empty_are_refused(clinic, packless_runtime) -> None:
    vault, patient_id, _, _ = clinic
    refused(vault, lambda: run_diagnoses(vault, 987_654, packless_runtime), InputError)
    refused(vault, lambda: run_summary(vault, 987_654, None, mode="structured"), InputError)
    other = vault.add_patient("Another Patient")
    refused(vault, lambda: run_summary(vault, other, None, mode="structured"), InputError)
    refused(vault, lambda: vault.add_note(987_654, CLINIC_NOTE), InputError)


def test_work_on_a_locked_vault_is_refused_readably(clinic) -> None:
    """After an auto-lock, a queued analysis ends with a message, not a crash."""
    vault, patient_id, note_id, _ = clinic
    vault.lock()
    for action in (lambda: run_summary(vault, patient_id, None, mode="structured"),
                   lambda: vault.get_note(note_id),
                   lambda: vault.add_note(patient_id, CLINIC_NOTE)):
        with pytest.raises(ClinicDeskError) as info:
            action()
        assert "locked" in assert_readable(info.value)
