"""Importing clinical notes: text, Markdown, PDF, Word and photos/scans of paper notes.

Everything is read into memory once and parsed from there; nothing derived from the note
is written to disk. The original file's bytes travel with the text so the vault can keep
the source beside the note.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageSequence, UnidentifiedImageError

from desktop.core.config import Settings
from desktop.core.errors import InputError
from desktop.core.ingest.ocr import not_installed_error, ocr_available, ocr_image
from desktop.core.tasks import CancelToken, ProgressFn, no_progress

__all__ = [
    "ImportedNote",
    "NOTE_SUFFIXES",
    "import_note_file",
    "import_pasted_text",
    "ocr_available",
]

TEXT_SUFFIXES = {".txt": "text", ".md": "markdown", ".markdown": "markdown"}
PHOTO_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
NOTE_SUFFIXES = (*TEXT_SUFFIXES, ".pdf", ".docx", *sorted(PHOTO_SUFFIXES))


@dataclass(frozen=True)
class ImportedNote:
    """A note ready for ``Vault.add_note``: its text and where it came from."""

    text: str
    kind: str  # "text", "markdown", "pdf", "pdf-ocr", "docx", "ocr" or "pasted"
    source_name: str
    source_bytes: bytes | None

    def __repr__(self) -> str:  # never put note text into logs or tracebacks
        return f"ImportedNote(kind={self.kind!r}, chars={len(self.text)})"


def import_pasted_text(text: str) -> ImportedNote:
    """A note typed or pasted by the clinician."""
    cleaned = _normalise(text)
    if not cleaned:
        raise InputError("The pasted note is empty. Paste or type the note text first.")
    return ImportedNote(text=cleaned, kind="pasted", source_name="Pasted text", source_bytes=None)


def import_note_file(
    path: str | os.PathLike[str],
    settings: Settings,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> ImportedNote:
    """Read a note file into text.

    Raises InputError for a missing, empty, too large, unsupported, corrupt or
    password-protected file, or one with no text; NotAvailableError when the file needs
    OCR and Tesseract is not installed; ``Cancelled`` when ``cancel`` fires between pages.
    """
    path = Path(path)
    progress = progress or no_progress
    suffix = path.suffix.lower()
    name = path.name
    if suffix == ".doc":
        raise InputError(
            f"'{name}' is an old-style Word file (.doc). Save it as .docx in Word, then import it."
        )
    if suffix not in NOTE_SUFFIXES:
        raise InputError(
            f"'{name}' is not a note file ClinicDesk can read. Supported: "
            "text (.txt, .md), PDF, Word (.docx) and photos or scans (.png, .jpg, .tif)."
        )
    data = _read_limited(path, settings)
    progress(0.0, f"Reading {name}")
    if suffix in TEXT_SUFFIXES:
        text, kind = _decode_text(data, name), TEXT_SUFFIXES[suffix]
    elif suffix == ".pdf":
        text, kind = _pdf_text(data, name, progress, cancel)
    elif suffix == ".docx":
        text, kind = _docx_text(data, name), "docx"
    else:
        text, kind = _photo_text(data, name, progress, cancel), "ocr"
    text = _normalise(text)
    if not text:
        if kind in ("ocr", "pdf-ocr"):
            raise InputError(f"No readable text was found in '{name}'. Try a sharper scan.")
        raise InputError(f"'{name}' contains no text.")
    progress(1.0, f"Read {name}")
    return ImportedNote(text=text, kind=kind, source_name=name, source_bytes=data)


def _read_limited(path: Path, settings: Settings) -> bytes:
    # Size is checked with stat before reading, so a huge file is refused at once.
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"The file '{path.name}' could not be found.") from None
    except OSError as exc:
        raise InputError(f"The file '{path.name}' could not be opened: {exc.strerror}.") from None
    if not path.is_file():
        raise InputError(f"'{path.name}' is a folder, not a note file.")
    if size == 0:
        raise InputError(f"The file '{path.name}' is empty.")
    if size > settings.max_import_bytes:
        raise InputError(
            f"The file '{path.name}' is {size / 1_048_576:,.0f} MB; the largest file IT "
            f"allows is {settings.max_import_mb} MB."
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"The file '{path.name}' could not be read: {exc.strerror}.") from None


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text.strip()


_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def _decode_text(data: bytes, name: str) -> str:
    """Decode a text file: BOM first, then UTF-8, BOM-less UTF-16, then Windows-1252."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding.removesuffix("-sig"))
            except UnicodeDecodeError:
                raise InputError(f"'{name}' is not a readable text file.") from None
    sample = data[:4096]
    if b"\x00" in sample:
        # UTF-16 without a BOM has a zero byte in every other place for Latin text.
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        half = len(sample) // 2
        for encoding, zeros in (("utf-16-le", odd), ("utf-16-be", even)):
            if zeros > 0.4 * half:
                try:
                    return data.decode(encoding)
                except UnicodeDecodeError:
                    break
        raise InputError(f"'{name}' is not a text file (it contains binary data).")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Older Windows editors write cp1252; its 5 unassigned bytes become U+FFFD.
        return data.decode("cp1252", errors="replace")


def _pdf_text(
    data: bytes, name: str, progress: ProgressFn, cancel: CancelToken | None
) -> tuple[str, str]:
    from pypdf import PdfReader

    not_pdf = InputError(f"'{name}' is not a readable PDF file.")
    if b"%PDF-" not in data[:1024]:
        raise not_pdf
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(
                f"'{name}' is protected with a password. Save an unprotected copy "
                "(for example with 'Print to PDF'), then import that."
            )
        pages = list(reader.pages)
    except InputError:
        raise
    except Exception:  # pypdf signals damaged files with many exception types
        raise not_pdf from None
    texts: list[str] = []
    used_ocr = False
    for number, page in enumerate(pages, start=1):
        if cancel is not None:
            cancel.raise_if_cancelled()
        progress((number - 1) / len(pages), f"Reading page {number} of {len(pages)}")
        try:
            text = page.extract_text() or ""
        except Exception:  # one damaged page content stream
            raise InputError(f"Page {number} of '{name}' is damaged and cannot be read.") from None
        if not text.strip():
            text = _ocr_pdf_page(page, number, name, cancel)
            used_ocr = used_ocr or bool(text.strip())
        texts.append(text.strip())
    return "\n\n".join(t for t in texts if t), "pdf-ocr" if used_ocr else "pdf"


def _ocr_pdf_page(page: object, number: int, name: str, cancel: CancelToken | None) -> str:
    """OCR the images embedded in a PDF page that has no text layer (a scanned page)."""
    try:
        images = [image.image for image in page.images]  # type: ignore[attr-defined]
    except Exception:  # an image stream pypdf cannot decode
        raise InputError(
            f"Page {number} of '{name}' is a scanned image that cannot be decoded."
        ) from None
    images = [image for image in images if image is not None]
    if not images:
        return ""  # a blank page
    if not ocr_available():
        raise not_installed_error(f" — page {number} of '{name}' is a scan and needs it")
    return "\n".join(ocr_image(image, cancel=cancel).strip() for image in images)


def _docx_text(data: bytes, name: str) -> str:
    import docx
    from docx.table import Table

    if not data.startswith(b"PK"):
        raise InputError(f"'{name}' is not a readable Word (.docx) document.")
    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                blocks.extend(_table_rows(block))
            else:
                blocks.append(block.text)
    except Exception:  # python-docx/lxml raise many types for a damaged package
        raise InputError(f"'{name}' is not a readable Word (.docx) document.") from None
    return "\n".join(blocks)


def _table_rows(table: object) -> Iterator[str]:
    for row in table.rows:  # type: ignore[attr-defined]
        cells: list[str] = []
        for cell in row.cells:
            text = cell.text.strip()
            # Merged cells repeat the same text in each grid position; keep it once.
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            yield " | ".join(cells)


def _photo_text(data: bytes, name: str, progress: ProgressFn, cancel: CancelToken | None) -> str:
    unreadable = InputError(f"'{name}' is not a readable image.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(f"'{name}' has too many pixels to be a photo of a note.") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise unreadable from None
    if not ocr_available():
        raise not_installed_error()
    frames = getattr(image, "n_frames", 1)
    texts: list[str] = []
    try:
        for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
            if cancel is not None:
                cancel.raise_if_cancelled()
            progress((number - 1) / frames, f"Reading page {number} of {frames}")
            texts.append(ocr_image(frame.copy(), cancel=cancel).strip())
    except (OSError, ValueError):  # a truncated later page of a multi-page TIFF
        raise unreadable from None
    return "\n\n".join(t for t in texts if t)
