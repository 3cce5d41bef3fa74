"""Importing notes from the files clinicians actually have: real PDFs, Word files, scans."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from desktop.core.config import load_settings
from desktop.core.errors import InputError, NotAvailableError
from desktop.core.ingest.notes import import_note_file, import_pasted_text, ocr_available
from desktop.core.tasks import Cancelled, CancelToken
from tests.core.ingest.note_samples import (
    combine_pdfs,
    encrypt_pdf,
    image_bytes,
    make_docx,
    make_text_pdf,
    render_text_image,
    scanned_pdf,
)

NOTE = "Patient denies chest pain.\nTemperature 37.5 °C, café au lait spots noted."
needs_ocr = pytest.mark.skipif(not ocr_available(), reason="tesseract is not installed")


@pytest.fixture
def settings():
    return load_settings()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.fixture
def no_tesseract(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine where IT has not installed Tesseract: nothing on PATH provides it."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


# --- text files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding, prefix",
    [
        ("utf-8", b""),
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
    ],
)
def test_text_note_in_common_encodings(tmp_path, settings, encoding, prefix) -> None:
    data = prefix + NOTE.replace("\n", "\r\n").encode(encoding)
    note = import_note_file(write(tmp_path, "visit.txt", data), settings)
    assert note.text == NOTE
    assert note.kind == "text" and note.source_name == "visit.txt"
    assert note.source_bytes == data


def test_utf16_written_by_python_has_bom_and_imports(tmp_path, settings) -> None:
    path = tmp_path / "notepad.txt"
    path.write_text(NOTE, encoding="utf-16")
    assert import_note_file(path, settings).text == NOTE


def test_windows_1252_note_falls_back_cleanly(tmp_path, settings) -> None:
    data = "Temp 38 °C – “feels hot”".encode("cp1252")
    note = import_note_file(write(tmp_path, "old.txt", data), settings)
    assert note.text == "Temp 38 °C – “feels hot”"


def test_markdown_note_keeps_its_text(tmp_path, settings) -> None:
    md = "# Assessment\n\n- Hypertension, controlled\n- **Plan:** recheck in 3 months\n"
    note = import_note_file(write(tmp_path, "plan.MD", md.encode()), settings)
    assert note.kind == "markdown"
    assert "Hypertension, controlled" in note.text


def test_pasted_text_is_cleaned_and_empty_paste_refused() -> None:
    note = import_pasted_text("  BP 120/80\r\nPulse 72  \n")
    assert note.text == "BP 120/80\nPulse 72"
    assert note.kind == "pasted" and note.source_bytes is None
    with pytest.raises(InputError, match="empty"):
        import_pasted_text(" \n\t ")


def test_note_text_never_appears_in_repr() -> None:
    assert "chest" not in repr(import_pasted_text("Patient denies chest pain."))


# --- bad files ---------------------------------------------------------------------------


def test_zero_byte_file_is_refused(tmp_path, settings) -> None:
    with pytest.raises(InputError, match="empty"):
        import_note_file(write(tmp_path, "blank.pdf", b""), settings)


def test_whitespace_only_note_is_refused(tmp_path, settings) -> None:
    with pytest.raises(InputError, match="contains no text"):
        import_note_file(write(tmp_path, "blank.txt", b" \r\n\t\n"), settings)


def test_missing_file_and_folder_are_refused(tmp_path, settings) -> None:
    with pytest.raises(InputError, match="could not be found"):
        import_note_file(tmp_path / "gone.txt", settings)
    (tmp_path / "folder.txt").mkdir()
    with pytest.raises(InputError, match="folder"):
        import_note_file(tmp_path / "folder.txt", settings)


def test_huge_sparse_file_is_refused_without_reading_it(tmp_path, settings, monkeypatch) -> None:
    path = tmp_path / "huge.txt"
    subprocess.run(["truncate", "-s", "2G", str(path)], check=True)

    def must_not_read(self: Path) -> bytes:
        raise AssertionError("the size limit must be checked before reading")

    monkeypatch.setattr(Path, "read_bytes", must_not_read)
    with pytest.raises(InputError, match="largest file IT allows is 512 MB"):
        import_note_file(path, settings)


def test_size_limit_comes_from_it_policy(tmp_path, monkeypatch) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("max_import_mb = 1\n")
    monkeypatch.setenv("CLINICDESK_POLICY", str(policy))
    path = write(tmp_path, "long.txt", b"a" * (1024 * 1024 + 1))
    with pytest.raises(InputError, match="1 MB"):
        import_note_file(path, load_settings())


def test_binary_renamed_txt_is_refused(tmp_path, settings) -> None:
    data = image_bytes(render_text_image(["x"]), "PNG")
    with pytest.raises(InputError, match="not a text file"):
        import_note_file(write(tmp_path, "scan.txt", data), settings)


@pytest.mark.parametrize(
    "data",
    [
        os.urandom(4096),
        b"MZ\x90\x00" + bytes(2000),  # a Windows program
        b"%PDF-1.7\n" + os.urandom(3000),  # PDF header, garbage body
    ],
    ids=["random", "exe", "garbage-body"],
)
def test_binary_renamed_pdf_is_refused(tmp_path, settings, data) -> None:
    with pytest.raises(InputError, match="not a readable PDF"):
        import_note_file(write(tmp_path, "report.pdf", data), settings)


def test_unsupported_and_old_word_files_are_explained(tmp_path, settings) -> None:
    with pytest.raises(InputError, match="Save it as .docx"):
        import_note_file(write(tmp_path, "letter.doc", b"\xd0\xcf\x11\xe0"), settings)
    with pytest.raises(InputError, match="Supported"):
        import_note_file(write(tmp_path, "setup.exe", b"MZ"), settings)


# --- PDF ---------------------------------------------------------------------------------


def test_pdf_text_layer_all_pages_with_progress(tmp_path, settings) -> None:
    pdf = make_text_pdf([["HISTORY: cough for 3 days (dry)."], ["PLAN: amoxicillin 500 mg."]])
    seen: list[tuple[float, str]] = []
    note = import_note_file(
        write(tmp_path, "visit.pdf", pdf), settings, progress=lambda f, m: seen.append((f, m))
    )
    assert "cough for 3 days (dry)." in note.text
    assert note.text.index("HISTORY") < note.text.index("PLAN: amoxicillin 500 mg.")
    assert note.kind == "pdf" and note.source_bytes == pdf
    assert "Reading page 2 of 2" in [m for _, m in seen]
    assert seen[-1][0] == 1.0


def test_pdf_import_can_be_cancelled_between_pages(tmp_path, settings) -> None:
    pdf = make_text_pdf([[f"Page {n}"] for n in range(1, 6)])
    token = CancelToken()

    def progress(fraction: float, message: str) -> None:
        if message.startswith("Reading page 2"):
            token.cancel()

    with pytest.raises(Cancelled):
        import_note_file(
            write(tmp_path, "long.pdf", pdf), settings, progress=progress, cancel=token
        )


def test_password_protected_pdf_is_refused_clearly(tmp_path, settings) -> None:
    pdf = encrypt_pdf(make_text_pdf([["Secret"]]), user_password="s3cret")
    with pytest.raises(InputError, match="protected with a password"):
        import_note_file(write(tmp_path, "locked.pdf", pdf), settings)


def test_pdf_with_only_an_owner_password_opens(tmp_path, settings) -> None:
    # Many hospital systems restrict printing with an owner password but no open password.
    pdf = encrypt_pdf(make_text_pdf([["Discharged home."]]), user_password="")
    assert "Discharged home." in import_note_file(write(tmp_path, "r.pdf", pdf), settings).text


def test_truncated_pdf_does_not_crash(tmp_path, settings) -> None:
    pdf = make_text_pdf([["Some text here"]])
    path = write(tmp_path, "cut.pdf", pdf[: len(pdf) // 3])
    with pytest.raises(InputError):
        import_note_file(path, settings)


@needs_ocr
def test_scanned_pdf_is_read_by_ocr(tmp_path, settings) -> None:
    pdf = scanned_pdf(["Diagnosis: pneumonia", "Start doxycycline"])
    note = import_note_file(write(tmp_path, "scan.pdf", pdf), settings)
    assert note.kind == "pdf-ocr"
    assert "pneumonia" in note.text.lower() and "doxycycline" in note.text.lower()


@needs_ocr
def test_pdf_mixing_typed_and_scanned_pages_keeps_page_order(tmp_path, settings) -> None:
    pdf = combine_pdfs(make_text_pdf([["Typed first page."]]), scanned_pdf(["Handwritten plan"]))
    note = import_note_file(write(tmp_path, "mixed.pdf", pdf), settings)
    assert note.text.startswith("Typed first page.")
    assert "plan" in note.text.lower()


def test_scanned_pdf_without_tesseract_says_ocr_is_missing(tmp_path, settings, no_tesseract):
    assert not ocr_available()
    pdf = combine_pdfs(make_text_pdf([["Typed page"]]), scanned_pdf(["Scanned page"]))
    with pytest.raises(NotAvailableError, match="OCR.*not installed.*page 2.*tesseract-ocr"):
        import_note_file(write(tmp_path, "scan.pdf", pdf), settings)
    # A PDF with a text layer still imports on such a machine.
    typed = write(tmp_path, "typed.pdf", make_text_pdf([["Typed page"]]))
    assert import_note_file(typed, settings).text == "Typed page"


# --- Word --------------------------------------------------------------------------------


def test_docx_paragraphs_and_tables_in_document_order(tmp_path, settings) -> None:
    data = make_docx(
        ["Clinic letter", "Seen today for review of diabetes."],
        [["Medication", "Dose"], ["Metformin", "500 mg twice daily"]],
    )
    note = import_note_file(write(tmp_path, "letter.docx", data), settings)
    assert note.kind == "docx"
    lines = note.text.splitlines()
    assert lines[0] == "Clinic letter"
    assert "Metformin | 500 mg twice daily" in lines
    assert lines.index("Medication | Dose") < lines.index("Signed: Dr Grey")


@pytest.mark.parametrize(
    "data", [b"plain text renamed", b"PK\x03\x04" + os.urandom(500)], ids=["text", "bad-zip"]
)
def test_broken_docx_is_refused(tmp_path, settings, data) -> None:
    with pytest.raises(InputError, match="not a readable Word"):
        import_note_file(write(tmp_path, "letter.docx", data), settings)


# --- photos and scans --------------------------------------------------------------------


@needs_ocr
@pytest.mark.parametrize("fmt, suffix", [("PNG", ".png"), ("JPEG", ".jpg"), ("TIFF", ".tif")])
def test_photo_of_a_note_is_read_by_ocr(tmp_path, settings, fmt, suffix) -> None:
    image = render_text_image(["Allergy: penicillin", "Rash on both arms"], mode="RGB")
    data = image_bytes(image, fmt)
    note = import_note_file(write(tmp_path, "photo" + suffix, data), settings)
    assert note.kind == "ocr" and note.source_bytes == data
    assert "penicillin" in note.text.lower() and "rash" in note.text.lower()


@needs_ocr
def test_multipage_tiff_reads_every_page(tmp_path, settings) -> None:
    first = render_text_image(["First page: cough"])
    second = render_text_image(["Second page: fever"])
    data = image_bytes(first, "TIFF", save_all=True, append_images=[second])
    note = import_note_file(write(tmp_path, "fax.tiff", data), settings)
    assert note.text.lower().index("cough") < note.text.lower().index("fever")


@needs_ocr
def test_blank_photo_has_no_readable_text(tmp_path, settings) -> None:
    blank = image_bytes(render_text_image([""]), "PNG")
    with pytest.raises(InputError, match="No readable text"):
        import_note_file(write(tmp_path, "blank.png", blank), settings)


def test_corrupt_photo_is_refused(tmp_path, settings) -> None:
    data = image_bytes(render_text_image(["x"]), "PNG")[:100]
    with pytest.raises(InputError, match="not a readable image"):
        import_note_file(write(tmp_path, "photo.png", data), settings)


def test_photo_without_tesseract_says_ocr_is_not_installed(tmp_path, settings, no_tesseract):
    data = image_bytes(render_text_image(["Note"]), "PNG")
    with pytest.raises(NotAvailableError, match="OCR.*not installed.*tesseract-ocr"):
        import_note_file(write(tmp_path, "photo.png", data), settings)
