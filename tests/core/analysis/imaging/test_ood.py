"""Out-of-distribution refusal: only frontal chest radiographs get findings."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image

from desktop.core.analysis.imaging.ood import refusal_reason
from desktop.core.config import load_settings
from desktop.core.ingest.images import (
    DICOM,
    JPEG,
    PNG,
    decode_image,
    import_image_file,
    to_display_uint8,
)
from tests.fixtures.imaging import CHEST_DICOMS, CT_MR_DICOMS, CXR_FILES, PHOTO_KINDS, photo_bytes

SKLEARN_PHOTOS = ("china.jpg", "flower.jpg")  # ordinary photos shipped with scikit-learn


def _decode(path: Path):
    imported = import_image_file(path, load_settings())
    return decode_image(imported.data, imported.media_type)


@pytest.mark.parametrize("name", CXR_FILES)
def test_real_chest_radiographs_are_accepted(shared_data: Path, name: str) -> None:
    assert refusal_reason(_decode(shared_data / name)) is None


@pytest.mark.parametrize("name", CHEST_DICOMS)
def test_chest_dicoms_are_accepted(dicom_dir: Path, name: str) -> None:
    assert refusal_reason(_decode(dicom_dir / name)) is None


@pytest.mark.parametrize("name", CT_MR_DICOMS)
def test_ct_and_mr_dicoms_are_refused_by_their_header(dicom_dir: Path, name: str) -> None:
    reason = refusal_reason(_decode(dicom_dir / name))
    assert reason is not None
    assert "not a chest radiograph" in reason and "No findings were produced" in reason


@pytest.mark.parametrize("name", CT_MR_DICOMS + ("pydicom_data/JPEG-LL.dcm",))
def test_ct_mr_nm_exported_as_png_are_refused_by_image_statistics(
    dicom_dir: Path, name: str
) -> None:
    # Without the DICOM header only the pixels are left to judge.
    shown = to_display_uint8(_decode(dicom_dir / name))
    buf = io.BytesIO()
    Image.fromarray(shown).save(buf, format="PNG")
    reason = refusal_reason(decode_image(buf.getvalue(), PNG))
    assert reason is not None and "No findings were produced" in reason


def test_other_body_parts_and_lateral_views_are_refused(dicom_dir: Path, tmp_path: Path) -> None:
    extremity = refusal_reason(_decode(dicom_dir / "pydicom_data/RG3_J2KI.dcm"))
    assert extremity is not None and "extremity" in extremity
    ds = pydicom.dcmread(dicom_dir / CHEST_DICOMS[0])
    ds.ViewPosition = "LL"
    lateral = tmp_path / "lateral.dcm"
    ds.save_as(lateral)
    reason = refusal_reason(_decode(lateral))
    assert reason is not None and "lateral view" in reason


@pytest.mark.parametrize("kind", PHOTO_KINDS)
def test_ordinary_photos_are_refused(kind: str) -> None:
    reason = refusal_reason(decode_image(photo_bytes(kind), JPEG))
    assert reason is not None and "No findings were produced" in reason


@pytest.mark.parametrize("name", SKLEARN_PHOTOS)
def test_real_photos_are_refused_even_in_greyscale(name: str) -> None:
    import sklearn

    path = Path(sklearn.__file__).parent / "datasets" / "images" / name
    assert "colour photograph" in refusal_reason(_decode(path))
    grey = io.BytesIO()
    Image.open(path).convert("L").save(grey, format="PNG")
    assert refusal_reason(decode_image(grey.getvalue(), PNG)) is not None


def test_flat_and_tiny_images_are_refused() -> None:
    for array in (np.full((300, 300), 128, np.uint8), np.zeros((40, 40), np.uint8)):
        buf = io.BytesIO()
        Image.fromarray(array).save(buf, format="PNG")
        assert refusal_reason(decode_image(buf.getvalue(), PNG)) is not None


def test_monochrome1_chest_is_judged_after_inversion(dicom_dir: Path) -> None:
    # RG1 stores a chest as MONOCHROME1; accepted only because the display is inverted.
    decoded = decode_image((dicom_dir / "pydicom_data/RG1_J2KI.dcm").read_bytes(), DICOM)
    assert decoded.is_monochrome1_inverted and refusal_reason(decoded) is None
