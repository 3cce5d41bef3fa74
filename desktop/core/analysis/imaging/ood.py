"""Is this a frontal chest radiograph? Refuse, with a reason, anything the model cannot read.

Two layers, both cheap and explainable:

1. DICOM metadata when present: Modality must be CR/DX, BodyPartExamined (if given) the
   chest, and ViewPosition not lateral.
2. Image statistics for every image (and the only evidence for PNG/JPEG): no colour,
   a film-like aspect ratio, and the brightness layout of a frontal chest film on a 64 px
   thumbnail — bright abdomen/diaphragm band at the bottom (brighter than the top), a
   mediastinum brighter than the lung fields beside it, rough left-right symmetry, and no
   large black background (CT/MR slices, NM) or white page (documents).
   Thresholds were set from the chest films in the shared test data (NIH ChestX-ray14,
   TBX11K, pydicom chest CRs), each with a margin, and checked against CT, MR, NM and
   extremity DICOMs and ordinary photos (tests/core/analysis/imaging/test_ood.py).
   Known limit: a greyscale CT/MR slice exported as PNG whose window makes the lower
   body bright may pass layer 2; DICOM files are caught by layer 1.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from desktop.core.ingest.images import DecodedImage, to_display_uint8

CHEST_MODALITIES = {"CR", "DX"}
CHEST_BODY_PARTS = {"CHEST", "THORAX", "LUNG", "LUNGS", "CHEST_TO_PELVIS"}
LATERAL_VIEWS = {"LAT", "LATERAL", "LL", "RL", "LLD", "RLD", "LLO", "RLO"}
MODALITY_NAMES = {
    "CT": "CT",
    "MR": "MRI",
    "NM": "nuclear medicine",
    "US": "ultrasound",
    "PT": "PET",
    "MG": "mammography",
    "XA": "angiography",
    "RF": "fluoroscopy",
    "OT": "secondary capture",
}
_SUFFIX = (
    " No findings were produced: the chest X-ray model only reads frontal (PA/AP) chest "
    "radiographs."
)

# Frontal-CXR thumbnail statistics (fractions of the 1st..99th percentile range).
MAX_SATURATION = 0.08  # every radiograph: 0.0; photos: 0.2 and up
ASPECT_RANGE = (0.6, 1.67)  # height / width
MIN_BOTTOM_BRIGHTNESS = 0.6  # chest films 0.64-0.97; CT/MR 0.0-0.55
MIN_BOTTOM_OVER_TOP = 0.2  # chest films >= 0.28
MIN_MEDIASTINUM_CONTRAST = 0.08  # chest films >= 0.13; extremity, document, MR < 0
MIN_SYMMETRY = 0.3  # chest films >= 0.34
MAX_DARK_FRACTION = 0.3  # chest films <= 0.15; MR/NM with black background ~0.6
MAX_BRIGHT_FRACTION = 0.45  # chest films <= 0.33; document pages ~0.66


def refusal_reason(decoded: DecodedImage) -> str | None:
    """A clinician-readable reason to refuse the image, or None if it looks like a frontal CXR."""
    reason = _metadata_reason(decoded.metadata)
    if reason:
        return reason + _SUFFIX
    reason = _statistics_reason(decoded)
    return reason + _SUFFIX if reason else None


def _metadata_reason(metadata: dict) -> str | None:
    modality = str(metadata.get("Modality", "")).upper()
    if modality and modality not in CHEST_MODALITIES:
        name = MODALITY_NAMES.get(modality, modality)
        article = "an" if name[0] in "AEIOUaeiou" or name == "MRI" else "a"
        return (
            f"This is {article} {name} image (DICOM Modality {modality}), "
            "not a chest radiograph."
        )
    body = str(metadata.get("BodyPartExamined", "")).upper().strip()
    if body and body not in CHEST_BODY_PARTS:
        return f"The DICOM header says this radiograph shows the {body.lower()}, not the chest."
    view = str(metadata.get("ViewPosition", "")).upper().strip()
    if view in LATERAL_VIEWS:
        return f"The DICOM header says this is a lateral view ({view}), not a frontal one."
    return None


def image_statistics(decoded: DecodedImage) -> dict[str, float]:
    """The thumbnail features ``refusal_reason`` judges (also handy for checking thresholds)."""
    shown = to_display_uint8(decoded)
    h, w = shown.shape
    thumb = np.asarray(
        Image.fromarray(shown).resize((64, 64), Image.Resampling.BOX), dtype=np.float32
    )
    low, high = np.percentile(thumb, [1, 99])
    n = np.clip((thumb - low) / max(float(high - low), 1.0), 0.0, 1.0)
    flat, mirrored = n.ravel(), n[:, ::-1].ravel()
    symmetry = float(np.corrcoef(flat, mirrored)[0, 1]) if flat.std() > 1e-6 else 1.0
    rows = slice(16, 48)
    lungs = np.r_[n[rows, 10:22].ravel(), n[rows, 42:54].ravel()].mean()
    return {
        "aspect": h / w,
        "saturation": float(decoded.metadata.get("mean_saturation", 0.0)),
        "bottom": float(n[-6:].mean()),
        "top": float(n[:6].mean()),
        "mediastinum_contrast": float(n[rows, 27:37].mean() - lungs),
        "symmetry": symmetry,
        "dark_fraction": float((n < 0.08).mean()),
        "bright_fraction": float((n > 0.92).mean()),
    }


def _statistics_reason(decoded: DecodedImage) -> str | None:
    s = image_statistics(decoded)
    if s["saturation"] > MAX_SATURATION:
        return "This is a colour photograph, not a radiograph."
    if not ASPECT_RANGE[0] <= s["aspect"] <= ASPECT_RANGE[1]:
        return "The image is too long and narrow to be a chest radiograph."
    if min(decoded.pixels.shape) < 64:
        return "The image is too small to be read as a chest radiograph."
    looks_like_chest = (
        s["bottom"] >= MIN_BOTTOM_BRIGHTNESS
        and s["bottom"] - s["top"] >= MIN_BOTTOM_OVER_TOP
        and s["mediastinum_contrast"] >= MIN_MEDIASTINUM_CONTRAST
        and s["symmetry"] >= MIN_SYMMETRY
        and s["dark_fraction"] <= MAX_DARK_FRACTION
        and s["bright_fraction"] <= MAX_BRIGHT_FRACTION
    )
    if not looks_like_chest:
        return (
            "The image does not look like a frontal chest X-ray (its brightness pattern "
            "matches neither lungs, heart nor diaphragm; it may be another body part, a "
            "CT/MR slice, a lateral view, a document or a photo)."
        )
    return None
