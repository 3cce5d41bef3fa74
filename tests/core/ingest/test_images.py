"""Importing and decoding images: real chest DICOMs, broken DICOMs, photos, size limits."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image

from desktop.core.config import load_settings
from desktop.core.errors import InputError
from desktop.core.ingest.images import (
    DICOM,
    JPEG,
    PNG,
    TIFF,
    decode_image,
    import_image_file,
    to_display_uint8,
)
from tests.fixtures.imaging import BROKEN_DICOMS, CHEST_DICOMS, CXR_FILES, NON_IMAGE_DICOMS


@pytest.mark.parametrize("name", CHEST_DICOMS)
def test_chest_dicoms_import_with_technical_metadata(dicom_dir: Path, name: str) -> None:
    imported = import_image_file(dicom_dir / name, load_settings())
    assert imported.media_type == DICOM
    assert imported.data == (dicom_dir / name).read_bytes()
    assert imported.metadata["Modality"] == "CR"
    assert imported.metadata["BodyPartExamined"] == "CHEST"
    assert "PatientName" not in imported.metadata  # identifiers stay in the patient record
    decoded = decode_image(imported.data, imported.media_type)
    assert decoded.pixels.dtype == np.float32 and decoded.pixels.ndim == 2


def test_monochrome1_16bit_chest_displays_lungs_dark(dicom_dir: Path) -> None:
    # RG1_J2KI: 15-bit JPEG 2000, MONOCHROME1 (high values = dark), window 15000/30000.
    decoded = decode_image((dicom_dir / "pydicom_data/RG1_J2KI.dcm").read_bytes(), DICOM)
    assert decoded.is_monochrome1_inverted
    assert decoded.pixels.max() > 255  # 16-bit range kept, not squashed to 8 bits
    assert (decoded.window_center, decoded.window_width) == (15000.0, 30000.0)
    shown = to_display_uint8(decoded).astype(float)
    h, w = shown.shape
    band = slice(int(h * 0.3), int(h * 0.6))
    left = shown[band, int(w * 0.2) : int(w * 0.35)]
    right = shown[band, int(w * 0.65) : int(w * 0.8)]
    lungs = np.r_[left, right]
    spine = shown[band, int(w * 0.46) : int(w * 0.54)]
    assert lungs.mean() < spine.mean() - 20


def test_monochrome1_flag_inverts_the_display_of_the_same_pixels(dicom_dir: Path) -> None:
    plain = decode_image((dicom_dir / CHEST_DICOMS[0]).read_bytes(), DICOM)
    fake = decode_image((dicom_dir / "chest_xray/Fake_MONOHR1.dcm").read_bytes(), DICOM)
    assert not plain.is_monochrome1_inverted and fake.is_monochrome1_inverted
    np.testing.assert_array_equal(plain.pixels, fake.pixels)  # modality units, not inverted
    diff = to_display_uint8(plain).astype(int) + to_display_uint8(fake).astype(int) - 255
    assert np.abs(diff).max() <= 1


def test_rescale_slope_and_intercept_give_modality_units(dicom_dir: Path) -> None:
    path = dicom_dir / "pydicom_test_files/CT_small.dcm"
    ds = pydicom.dcmread(path)
    decoded = decode_image(path.read_bytes(), DICOM)
    expected = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    np.testing.assert_allclose(decoded.pixels, expected)
    assert decoded.metadata["Modality"] == "CT"


def test_explicit_window_level_changes_display(dicom_dir: Path) -> None:
    decoded = decode_image((dicom_dir / "pydicom_test_files/MR_small.dcm").read_bytes(), DICOM)
    narrow = to_display_uint8(decoded, center=600, width=100)
    wide = to_display_uint8(decoded, center=600, width=4000)
    assert narrow.dtype == np.uint8 and narrow.shape == decoded.pixels.shape
    assert narrow.std() > wide.std()
    assert set(np.unique(to_display_uint8(decoded, center=-10_000, width=10))) == {255}


@pytest.mark.parametrize("name", BROKEN_DICOMS)
def test_every_broken_dicom_is_refused_with_a_message(dicom_dir: Path, name: str) -> None:
    with pytest.raises(InputError) as info:
        import_image_file(dicom_dir / name, load_settings())
    message = str(info.value)
    assert Path(name).name in message and "DICOM" in message
    # Written for a clinician: no parser text ("invalid literal for int()", "plugins").
    cause = str(info.value.__cause__ or "").strip().splitlines()
    assert not cause or cause[0][:40] not in message
    with pytest.raises(InputError):
        decode_image((dicom_dir / name).read_bytes(), DICOM)


def test_a_garbage_png_is_refused_without_library_text(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16)
    with pytest.raises(InputError) as info:
        import_image_file(path, load_settings())
    assert str(info.value) == "scan.png is damaged or not a readable image."


@pytest.mark.parametrize("name", NON_IMAGE_DICOMS)
def test_non_image_dicoms_are_refused_as_not_images(dicom_dir: Path, name: str) -> None:
    with pytest.raises(InputError, match="not an image"):
        import_image_file(dicom_dir / name, load_settings())


def test_every_dicom_in_shared_data_imports_or_is_refused_cleanly(dicom_dir: Path) -> None:
    outcomes = {}
    for path in sorted(dicom_dir.rglob("*.dcm")):
        try:
            import_image_file(path, load_settings())
            outcomes[path.name] = "ok"
        except InputError:
            outcomes[path.name] = "refused"
    assert list(outcomes.values()).count("refused") == len(BROKEN_DICOMS) + len(NON_IMAGE_DICOMS)
    assert outcomes["JPEG-LL.dcm"] == "ok"  # JPEG Lossless via pylibjpeg-libjpeg


@pytest.mark.parametrize("name", CXR_FILES)
def test_real_png_and_jpeg_radiographs_import(shared_data: Path, name: str) -> None:
    imported = import_image_file(shared_data / name, load_settings())
    assert imported.media_type in (PNG, JPEG)
    decoded = decode_image(imported.data, imported.media_type)
    shown = to_display_uint8(decoded)
    # 8-bit files display as stored (identity window).
    np.testing.assert_array_equal(shown, decoded.pixels.astype(np.uint8))


def test_16bit_tiff_keeps_its_range(tmp_path: Path) -> None:
    ramp = np.tile(np.linspace(0, 40000, 64, dtype=np.uint16), (32, 1))
    path = tmp_path / "ramp16.tif"
    Image.fromarray(ramp).save(path)
    imported = import_image_file(path, load_settings())
    assert imported.media_type == TIFF and imported.metadata["bit_depth"] == 16
    decoded = decode_image(imported.data, TIFF)
    assert decoded.pixels.max() == 40000
    shown = to_display_uint8(decoded)
    assert shown[0, 0] == 0 and shown[0, -1] == 255


def test_colour_photo_records_its_saturation(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    Image.new("RGB", (40, 30), (200, 40, 40)).save(path)
    imported = import_image_file(path, load_settings())
    assert imported.metadata["colour"] is True
    assert imported.metadata["mean_saturation"] > 0.5


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b"just some text, not an image", "not a PNG, JPEG, TIFF or DICOM"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "damaged"),
    ],
)
def test_bad_files_are_refused(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(content)
    with pytest.raises(InputError, match=fragment):
        import_image_file(path, load_settings())


def test_truncated_jpeg_is_refused(shared_data: Path, tmp_path: Path) -> None:
    data = (shared_data / CXR_FILES[4]).read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError, match="damaged"):
        import_image_file(path, load_settings())


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="could not be opened"):
        import_image_file(tmp_path / "nope.dcm", load_settings())


def test_too_large_file_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.dcm"
    with open(path, "wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: 2 GB on paper, nothing on disk
    reads: list[Path] = []
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self) or b"")
    with pytest.raises(InputError, match="larger than the 512 MB"):
        import_image_file(path, load_settings())
    assert reads == []
    assert os.stat(path).st_size == 2 * 1024**3


def test_decode_refuses_unknown_media_type_and_sniffs_a_missing_one() -> None:
    buf = io.BytesIO()
    Image.new("L", (8, 8), 7).save(buf, format="PNG")
    with pytest.raises(InputError, match="unsupported type"):
        decode_image(buf.getvalue(), "image/webp")
    assert decode_image(buf.getvalue(), "").pixels.max() == 7


def test_voi_lut_sequence_is_used_for_the_default_display(dicom_dir: Path, tmp_path: Path) -> None:
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    ds = pydicom.dcmread(dicom_dir / "pydicom_test_files/MR_small.dcm")
    del ds.WindowCenter, ds.WindowWidth
    item = Dataset()
    item.LUTDescriptor = [4096, 0, 16]
    # LUT Data (0028,3006): a gamma curve, which no linear window can reproduce
    item.add_new(0x00283006, "US", [int(65535 * (v / 4095) ** 0.5) for v in range(4096)])
    ds.VOILUTSequence = Sequence([item])
    path = tmp_path / "voi.dcm"
    ds.save_as(path)
    decoded = decode_image(path.read_bytes(), DICOM)
    assert decoded.voi_lut_display is not None
    by_lut = to_display_uint8(decoded)
    by_window = to_display_uint8(decoded, decoded.window_center, decoded.window_width)
    assert not np.array_equal(by_lut, by_window)


def test_multiframe_dicom_shows_its_first_frame(dicom_dir: Path, tmp_path: Path) -> None:
    ds = pydicom.dcmread(dicom_dir / "pydicom_test_files/MR_small.dcm")
    first = ds.pixel_array.copy()
    ds.NumberOfFrames = 2
    ds.PixelData = first.tobytes() + (first // 2).tobytes()
    path = tmp_path / "two_frames.dcm"
    ds.save_as(path)
    imported = import_image_file(path, load_settings())
    assert imported.metadata["frames"] == 2
    decoded = decode_image(imported.data, DICOM)
    np.testing.assert_allclose(decoded.pixels, first * float(ds.get("RescaleSlope", 1) or 1)
                               + float(ds.get("RescaleIntercept", 0) or 0))
