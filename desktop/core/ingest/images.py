"""Medical image files -> bytes the vault stores, and stored bytes -> pixels to show or analyse.

``import_image_file`` checks a PNG, JPEG, TIFF or DICOM file fully (size first, then a real
decode) so a broken file is refused at import with a message a clinician can act on, and
nothing half-imported is stored. ``decode_image`` turns stored bytes into a
``DecodedImage`` in modality units; ``to_display_uint8`` applies the window/level (and the
MONOCHROME1 inversion) for display and for the image models.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from desktop.core.config import Settings
from desktop.core.errors import InputError

PNG, JPEG, TIFF, DICOM = "image/png", "image/jpeg", "image/tiff", "application/dicom"
SUPPORTED_MEDIA_TYPES = (PNG, JPEG, TIFF, DICOM)
_SUPPORTED_TEXT = "PNG, JPEG, TIFF or DICOM"

# Technical DICOM attributes kept with the image; patient identifiers are deliberately not
# copied out of the file (the vault's patient record holds those).
_DICOM_TAGS = (
    "Modality",
    "BodyPartExamined",
    "ViewPosition",
    "PhotometricInterpretation",
    "BitsStored",
    "StudyDate",
    "SeriesDescription",
    "StudyDescription",
    "Manufacturer",
    "SOPClassUID",
)
_NON_IMAGE_MODALITIES = {
    "SR": "structured report",
    "ECG": "ECG waveform",
    "HD": "haemodynamic waveform",
    "RTPLAN": "radiotherapy plan",
    "RTSTRUCT": "radiotherapy structure set",
    "RTRECORD": "radiotherapy record",
    "KO": "key-object selection",
    "PR": "presentation state",
    "DOC": "document",
    "REG": "registration",
}


@dataclass(frozen=True)
class ImportedImage:
    """A checked image file, ready for ``vault.add_image(patient_id, data, ...)``."""

    data: bytes
    media_type: str
    source_name: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class DecodedImage:
    """Pixels of one image (first frame of a multi-frame DICOM).

    ``pixels`` is float32, 2-D, in modality units (DICOM rescale slope/intercept applied;
    plain greyscale for PNG/JPEG/TIFF, colour converted to luminance). It is *not*
    inverted: ``is_monochrome1_inverted`` tells ``to_display_uint8`` to invert the display
    because the DICOM says higher values are darker (MONOCHROME1).
    ``voi_lut_display`` is the file's own VOI LUT rendering in [0, 1], when it has one.
    """

    pixels: np.ndarray
    metadata: dict[str, Any]
    window_center: float
    window_width: float
    is_monochrome1_inverted: bool = False
    voi_lut_display: np.ndarray | None = field(default=None, repr=False)


def import_image_file(path: str | os.PathLike[str], settings: Settings) -> ImportedImage:
    """Read and check one image file; ``InputError`` if it is too large, broken or unsupported."""
    path = Path(path)
    try:
        size = os.stat(path).st_size  # before reading: a huge file is refused unread
    except OSError as exc:
        raise InputError(f"The file {path.name} could not be opened ({exc.strerror}).") from exc
    if not path.is_file():
        raise InputError(f"{path.name} is not a file. Choose a {_SUPPORTED_TEXT} image.")
    if size > settings.max_import_bytes:
        raise InputError(
            f"The file {path.name} is {size / 2**20:.0f} MB, larger than the "
            f"{settings.max_import_mb} MB your clinic allows for one import."
        )
    if size == 0:
        raise InputError(f"The file {path.name} is empty.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"The file {path.name} could not be read ({exc.strerror}).") from exc
    media_type = sniff_media_type(data, path.name)
    decoded = decode_image(data, media_type, source_name=path.name)
    return ImportedImage(data, media_type, path.name, decoded.metadata)


def sniff_media_type(data: bytes, name: str = "") -> str:
    """The media type from the file's own signature (the extension is only a fallback)."""
    if data[128:132] == b"DICM":  # first: DICOM preambles may themselves look like TIFF
        return DICOM
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return PNG
    if data[:3] == b"\xff\xd8\xff":
        return JPEG
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return TIFF
    if name.lower().endswith((".dcm", ".dicom")):
        return DICOM
    shown = name or "This file"
    raise InputError(f"{shown} is not a {_SUPPORTED_TEXT} image.")


def decode_image(data: bytes, media_type: str, *, source_name: str = "") -> DecodedImage:
    """Decode stored image bytes; ``InputError`` for anything that is not a usable image."""
    shown = source_name or "The image"
    if not media_type:  # records stored without a type: trust the bytes' own signature
        media_type = sniff_media_type(data, source_name)
    if media_type == DICOM:
        return _decode_dicom(data, shown)
    if media_type in (PNG, JPEG, TIFF):
        return _decode_raster(data, media_type, shown)
    raise InputError(f"{shown} has an unsupported type ({media_type}); use {_SUPPORTED_TEXT}.")


def to_display_uint8(
    decoded: DecodedImage, center: float | None = None, width: float | None = None
) -> np.ndarray:
    """8-bit greyscale for the screen and the models: window/level, then MONOCHROME1 flip.

    With no ``center``/``width`` the file's own VOI LUT (if any) or window is used.
    """
    if center is None and width is None and decoded.voi_lut_display is not None:
        scaled = decoded.voi_lut_display
    else:
        c = decoded.window_center if center is None else float(center)
        w = decoded.window_width if width is None else float(width)
        # DICOM PS3.3 C.11.2.1.2.1 linear window function, output range [0, 1]
        w = max(w, 2.0)
        scaled = np.clip((decoded.pixels - (c - 0.5)) / (w - 1.0) + 0.5, 0.0, 1.0)
    if decoded.is_monochrome1_inverted:
        scaled = 1.0 - scaled
    return np.round(scaled * 255.0).astype(np.uint8)


# --- raster files (PNG, JPEG, TIFF) ---------------------------------------------------


def _decode_raster(data: bytes, media_type: str, shown: str) -> DecodedImage:
    try:
        with warnings.catch_warnings(), Image.open(io.BytesIO(data)) as image:
            warnings.simplefilter("ignore")  # e.g. "Corrupt EXIF data" in ordinary photos
            image.load()
            image = ImageOps.exif_transpose(image)  # phone photos carry their rotation in EXIF
            pixels, colour = _raster_pixels(image)
    except Image.DecompressionBombError as exc:
        raise InputError(f"{shown} is too many pixels to open safely.") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        # The library's own text (object addresses, parser jargon) is for developers only.
        raise InputError(f"{shown} is damaged or not a readable image.") from exc
    _check_shape(pixels, shown)
    metadata: dict[str, Any] = {
        "format": media_type.split("/")[1].upper(),
        "rows": int(pixels.shape[0]),
        "columns": int(pixels.shape[1]),
        "bit_depth": 16 if pixels.max(initial=0) > 255 else 8,
        **colour,
    }
    if metadata["bit_depth"] == 8:
        center, width = 128.0, 256.0  # exact identity for ordinary 8-bit images
    else:
        center, width = _full_range_window(pixels)
    return DecodedImage(pixels, metadata, center, width)


def _raster_pixels(image: Image.Image) -> tuple[np.ndarray, dict[str, Any]]:
    """Greyscale float32 pixels plus colour statistics (photos are told apart by them)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        return np.asarray(image, dtype=np.float32), {"colour": False}
    if image.mode in ("L", "1"):
        return np.asarray(image.convert("L"), dtype=np.float32), {"colour": False}
    rgb = image.convert("RGB")
    grey = np.asarray(rgb.convert("L"), dtype=np.float32)
    return grey, _colour_stats(np.asarray(rgb))


def _colour_stats(rgb: np.ndarray) -> dict[str, Any]:
    hsv_s = np.asarray(Image.fromarray(rgb).convert("HSV"))[..., 1].astype(np.float32) / 255.0
    return {
        "colour": True,
        "mean_saturation": round(float(hsv_s.mean()), 4),
        "saturated_fraction": round(float((hsv_s > 0.25).mean()), 4),
    }


# --- DICOM ----------------------------------------------------------------------------


def _decode_dicom(data: bytes, shown: str) -> DecodedImage:
    import pydicom
    from pydicom.errors import InvalidDicomError
    from pydicom.pixels import apply_modality_lut, apply_voi_lut

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns on every odd tag; we refuse or accept
        try:
            ds = pydicom.dcmread(io.BytesIO(data))
        except InvalidDicomError as exc:
            raise InputError(
                f"{shown} is not a standard DICOM file (its DICOM header is missing). "
                "Export it again from the PACS or imaging device."
            ) from exc
        except Exception as exc:  # noqa: BLE001 - any parser failure means a damaged file
            raise InputError(
                f"{shown} is a damaged DICOM file that cannot be read. "
                "Export it again from the PACS or imaging device."
            ) from exc
        metadata = _dicom_metadata(ds)
        if "PixelData" not in ds:
            kind = metadata.get("Modality", "")
            if kind in _NON_IMAGE_MODALITIES:
                raise InputError(
                    f"{shown} is a DICOM {_NON_IMAGE_MODALITIES[kind]} ({kind}), not an image; "
                    "only DICOM images can be imported here."
                )
            raise InputError(
                f"{shown} contains no image data: the DICOM file is damaged or incomplete "
                "(or is not an image object). Export it again from the PACS or imaging device."
            )
        if "TransferSyntaxUID" not in getattr(ds, "file_meta", {}):
            raise InputError(
                f"{shown} is a damaged DICOM file: it does not say how its pixels are "
                "encoded. Export it again from the PACS or imaging device."
            )
        try:
            raw = ds.pixel_array
            frames = int(ds.get("NumberOfFrames", 1) or 1)
            if frames > 1:
                raw = raw[0]
            modality = np.asarray(apply_modality_lut(raw, ds), dtype=np.float32)
            voi = None
            if "VOILUTSequence" in ds and "WindowCenter" not in ds:
                voi = _unit_range(np.asarray(apply_voi_lut(raw, ds), dtype=np.float32))
        except Exception as exc:  # noqa: BLE001 - decoders raise many types for bad data
            raise InputError(
                f"{shown} is a damaged DICOM file: its image data could not be decoded. "
                "Export it again from the PACS or imaging device."
            ) from exc
    if modality.ndim == 3 and modality.shape[-1] == 3:  # colour DICOM (e.g. ultrasound)
        metadata.update(_colour_stats(np.clip(modality, 0, 255).astype(np.uint8)))
        modality = modality @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    _check_shape(modality, shown)
    metadata.update(rows=int(modality.shape[0]), columns=int(modality.shape[1]), frames=frames)
    metadata.setdefault("colour", False)
    center, width = _dicom_window(ds, modality)
    inverted = str(ds.get("PhotometricInterpretation", "")).upper() == "MONOCHROME1"
    return DecodedImage(modality, metadata, center, width, inverted, voi)


def _dicom_metadata(ds: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"format": "DICOM"}
    for tag in _DICOM_TAGS:
        try:
            value = ds.get(tag)
        except Exception:  # noqa: BLE001 - a badly encoded optional tag is simply left out
            continue
        if value not in (None, ""):
            metadata[tag] = str(value).strip()
    return metadata


def _dicom_window(ds: Any, pixels: np.ndarray) -> tuple[float, float]:
    """The file's first window (PS3.3: values are already in modality units), else full range."""
    try:
        center, width = ds.get("WindowCenter"), ds.get("WindowWidth")
        if center is not None and width is not None:
            center, width = float(_first(center)), float(_first(width))
            if width >= 1:
                return center, width
    except (TypeError, ValueError, IndexError):
        pass  # an unreadable window falls back to the full range
    return _full_range_window(pixels)


def _full_range_window(pixels: np.ndarray) -> tuple[float, float]:
    """The window that maps min..max exactly onto black..white."""
    low, high = float(pixels.min()), float(pixels.max())
    high = max(high, low + 1.0)
    return (low + high + 1.0) / 2.0, high - low + 1.0


def _first(value: Any) -> Any:
    """DICOM windows may hold several presets; the first is the default."""
    return value[0] if isinstance(value, Sequence) and not isinstance(value, str) else value


def _unit_range(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    return (values - low) / max(high - low, 1e-6)


def _check_shape(pixels: np.ndarray, shown: str) -> None:
    if pixels.ndim != 2 or min(pixels.shape) < 2:
        raise InputError(f"{shown} does not contain a 2-D image that can be shown.")
    if not np.isfinite(pixels).all():
        raise InputError(f"{shown} has invalid pixel values.")
