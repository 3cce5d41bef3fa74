"""OCR through the system's Tesseract, fed by pipes (no temp files)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from desktop.core.errors import InputError, NotAvailableError
from desktop.core.ingest import ocr
from desktop.core.tasks import Cancelled, CancelToken
from tests.core.ingest.note_samples import render_text_image

pytestmark = pytest.mark.skipif(not ocr.ocr_available(), reason="tesseract is not installed")


def test_reads_rendered_text() -> None:
    image = render_text_image(["Blood pressure 128/84", "Follow up in two weeks"])
    text = ocr.ocr_image(image)
    assert "128/84" in text
    assert "follow up in two weeks" in text.lower()


def test_large_noisy_photo_is_read() -> None:
    # A real phone photo: grey paper, sensor noise, a slight tilt, and far more bytes than
    # a pipe holds (feeding Tesseract must not deadlock).
    image = render_text_image(["Allergy: penicillin", "Rash on both arms"], width=2400)
    pixels = np.asarray(image).astype(float) * 0.35 + 110
    pixels += np.random.default_rng(0).normal(0, 12, pixels.shape)
    photo = Image.fromarray(np.clip(pixels, 0, 255).astype("uint8")).rotate(
        3, expand=True, fillcolor=120
    )
    png = ocr.image_to_png(photo.convert("RGB"))
    assert len(png) > 256 * 1024  # a pipe buffer is 64 KiB on Linux
    text = ocr.ocr_png(png)
    assert "penicillin" in text.lower() and "both arms" in text.lower()


def test_transparent_and_sideways_photos_are_read() -> None:
    image = render_text_image(["Wound healing well"], mode="RGBA")
    # Transparent background: without flattening onto white the page would turn black.
    image.putalpha(image.convert("L").point(lambda v: 255 - v))
    assert "healing" in ocr.ocr_image(image).lower()


def test_no_temp_files_are_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tesseract and Python would both use TMPDIR for temp files; it must stay empty.
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    assert "Chest" in ocr.ocr_image(render_text_image(["Chest clear"]))
    assert list(tmp.iterdir()) == []


def test_unreadable_image_bytes_are_an_input_error() -> None:
    with pytest.raises(InputError, match="could not be read"):
        ocr.ocr_png(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)


def test_ocr_can_be_cancelled_while_running() -> None:
    lines = [f"Line {n}: the patient reports intermittent headaches" for n in range(40)]
    image = render_text_image(lines, width=2400)
    token = CancelToken()
    timer = threading.Timer(0.3, token.cancel)
    timer.start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        ocr.ocr_image(image, cancel=token)
    assert time.monotonic() - started < 5  # stopped promptly, not after the whole page
    timer.cancel()


def test_missing_tesseract_is_reported_plainly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr.shutil, "which", lambda name: None)
    assert not ocr.ocr_available()
    with pytest.raises(NotAvailableError) as caught:
        ocr.ocr_image(render_text_image(["x"]))
    message = str(caught.value)
    assert "OCR" in message and "not installed" in message
    assert "apt-get install tesseract-ocr tesseract-ocr-eng" in message


def test_missing_english_data_is_reported_as_not_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))  # a tessdata folder with no languages
    with pytest.raises(NotAvailableError, match="English language data"):
        ocr.ocr_image(render_text_image(["x"]))
