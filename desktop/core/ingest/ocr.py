"""Optical character recognition through the system's Tesseract.

Tesseract runs as a subprocess fed through pipes (``tesseract stdin stdout``), so neither
the scanned image nor the recognised text ever touches a temp file (pytesseract would
write both to disk). IT installs Tesseract with the operating system's packages.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

from PIL import Image, ImageOps

from desktop.core.errors import InputError, NotAvailableError
from desktop.core.tasks import CancelToken

OCR_LANGUAGE = "eng"
# A page that takes longer than this is not a note photo we can read.
OCR_TIMEOUT_SECONDS = 300.0
_POLL_SECONDS = 0.2

INSTALL_HINT = (
    "IT can install it: on Debian or Ubuntu run "
    "'sudo apt-get install tesseract-ocr tesseract-ocr-eng'; on Windows install "
    "Tesseract OCR into C:\\Program Files\\Tesseract-OCR."
)


def tesseract_path() -> str | None:
    """Where the ``tesseract`` program is, or None when it is not installed."""
    found = shutil.which("tesseract")
    if found:
        return found
    if sys.platform == "win32":  # the Windows installer does not put itself on PATH
        default = Path(os.environ.get("ProgramFiles", r"C:\Program Files"))
        candidate = default / "Tesseract-OCR" / "tesseract.exe"
        if candidate.is_file():
            return str(candidate)
    return None


def ocr_available() -> bool:
    """True when scanned pages and photos can be read (Tesseract is installed)."""
    return tesseract_path() is not None


def not_installed_error(detail: str = "") -> NotAvailableError:
    return NotAvailableError(
        "Reading scanned pages and photos of notes (OCR) is not installed on this "
        f"computer{detail}. {INSTALL_HINT}"
    )


def image_to_png(image: Image.Image) -> bytes:
    """Upright greyscale PNG bytes, the form Tesseract reads most reliably."""
    image = ImageOps.exif_transpose(image)  # phone photos are often stored sideways
    if image.mode not in ("L", "1"):
        if image.mode in ("RGBA", "LA", "P"):
            # Transparent areas would turn black; put the page on white paper first.
            rgba = image.convert("RGBA")
            background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            image = Image.alpha_composite(background, rgba)
        image = image.convert("L")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def ocr_png(png: bytes, *, cancel: CancelToken | None = None) -> str:
    """Recognise the text in one PNG image held in memory.

    Raises NotAvailableError when Tesseract (or its English data) is missing, InputError
    when Tesseract cannot read the image, and ``Cancelled`` if ``cancel`` fires.
    """
    exe = tesseract_path()
    if exe is None:
        raise not_installed_error()
    if cancel is not None:
        cancel.raise_if_cancelled()
    env = dict(os.environ, OMP_THREAD_LIMIT="1")  # avoid oversubscribing small machines
    process = subprocess.Popen(
        [exe, "stdin", "stdout", "-l", OCR_LANGUAGE, "--dpi", "300"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    # Threads feed and drain the pipes (a photo is far larger than a pipe's buffer) while
    # this thread watches for Cancel; Popen.communicate cannot resume sending input after
    # a timeout.
    out: list[bytes] = []
    err: list[bytes] = []
    pumps = [
        threading.Thread(target=_feed, args=(process.stdin, png), daemon=True),
        threading.Thread(target=_drain, args=(process.stdout, out), daemon=True),
        threading.Thread(target=_drain, args=(process.stderr, err), daemon=True),
    ]
    for pump in pumps:
        pump.start()
    deadline = time.monotonic() + OCR_TIMEOUT_SECONDS
    try:
        while True:
            try:
                process.wait(timeout=_POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                if cancel is not None:
                    cancel.raise_if_cancelled()
                if time.monotonic() > deadline:
                    raise InputError(
                        "Reading the text in this scan took too long and was stopped. "
                        "Try a smaller or clearer image."
                    ) from None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pump in pumps:
            pump.join()
    if process.returncode != 0:
        message = b"".join(err).decode("utf-8", "replace")
        if "Failed loading language" in message or "Could not initialize tesseract" in message:
            raise not_installed_error(" (the English language data for Tesseract is missing)")
        raise InputError("This image could not be read as a scanned page.")
    return b"".join(out).decode("utf-8", "replace")


def _feed(stream: IO[bytes], data: bytes) -> None:
    try:
        stream.write(data)
    except (BrokenPipeError, ValueError):  # Tesseract stopped early or was killed
        pass
    finally:
        try:
            stream.close()
        except BrokenPipeError:
            pass


def _drain(stream: IO[bytes], into: list[bytes]) -> None:
    into.append(stream.read())


def ocr_image(image: Image.Image, *, cancel: CancelToken | None = None) -> str:
    """Recognise the text in a Pillow image (a photo, a scan, a page image from a PDF)."""
    return ocr_png(image_to_png(image), cancel=cancel)
