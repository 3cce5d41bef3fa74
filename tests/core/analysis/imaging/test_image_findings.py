"""run_image_findings end to end: real vault, real pack import, stored findings and refusals."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from desktop.core.analysis.imaging import KIND, run_image_findings
from desktop.core.analysis.imaging.findings import categorise, rank_findings
from desktop.core.config import load_settings
from desktop.core.errors import NotAvailableError
from desktop.core.inference import InstalledPack, ModelRuntime
from desktop.core.ingest.images import import_image_file
from desktop.core.tasks import Cancelled, CancelToken


def _store(vault, path: Path) -> tuple[int, int]:
    patient_id = vault.add_patient("Test Patient")
    imported = import_image_file(path, load_settings())
    image_id = vault.add_image(
        patient_id, imported.data, source_name=imported.source_name,
        media_type=imported.media_type, metadata=imported.metadata,
    )
    return patient_id, image_id


def test_findings_are_stored_with_heatmaps_evidence_and_provenance(
    vault, cxr_runtime: ModelRuntime, cxr_pack: InstalledPack, dicom_dir: Path
) -> None:
    patient_id, image_id = _store(vault, dicom_dir / "pydicom_data/RG1_J2KI.dcm")
    steps: list[float] = []
    analysis_id = run_image_findings(
        vault, image_id, cxr_runtime, progress=lambda f, m: steps.append(f)
    )
    analysis = vault.get_analysis(analysis_id)
    assert analysis.kind == KIND and analysis.patient_id == patient_id
    assert steps[-1] == 1.0 and steps == sorted(steps)
    provenance = analysis.provenance
    assert provenance["pack_id"] == cxr_pack.id and provenance["checksum"] == cxr_pack.checksum
    result = analysis.result
    assert result["refusal"] is None and result["notice"]
    assert len(result["items"]) == 18
    assert {item["category"] for item in result["items"]} <= {"likely", "possible", "unlikely"}
    flagged = [i for i in result["items"] if i["category"] != "unlikely"]
    height, width = 1955, 1841
    for item in flagged:
        (box,) = item["evidence"]
        assert box["image_id"] == image_id and box["label"] == item["label"]
        assert 0 <= box["x"] < width and 0 <= box["y"] < height
        assert 0 < box["width"] <= width - box["x"] and 0 < box["height"] <= height - box["y"]
    assert len(analysis.evidence) == len(flagged)
    assert 1 <= len(result["heatmaps"]) <= 3
    for encoded in result["heatmaps"].values():
        with Image.open(io.BytesIO(base64.b64decode(encoded))) as overlay:
            assert overlay.mode == "RGBA"
            assert overlay.size[0] / overlay.size[1] == pytest.approx(width / height, rel=0.01)
    assert vault.list_analyses(patient_id, kind=KIND)[0].id == analysis_id


def test_ct_image_is_refused_and_the_refusal_stored(
    vault, cxr_runtime: ModelRuntime, cxr_pack: InstalledPack, dicom_dir: Path
) -> None:
    _, image_id = _store(vault, dicom_dir / "pydicom_test_files/CT_small.dcm")
    result = vault.get_analysis(run_image_findings(vault, image_id, cxr_runtime)).result
    assert "CT image" in result["refusal"] and result["items"] == [] and not result["heatmaps"]
    assert cxr_pack.id not in cxr_runtime.loaded_pack_ids()  # the model never ran


def test_without_a_pack_it_says_how_to_install_one(
    vault, cxr_runtime: ModelRuntime, shared_data: Path
) -> None:
    patient_id, image_id = _store(vault, shared_data / "cxr/nih_examples/00000050_000.png")
    with pytest.raises(NotAvailableError) as info:
        run_image_findings(vault, image_id, cxr_runtime)
    message = str(info.value)
    assert "No chest X-ray model pack is installed" in message
    assert "desktop models import" in message and "--task cxr-classification" in message
    assert "desktop train-cxr" in message
    assert vault.list_analyses(patient_id) == []  # nothing made up, nothing stored


def test_cancel_stores_nothing(
    vault, cxr_runtime: ModelRuntime, cxr_pack: InstalledPack, shared_data: Path
) -> None:
    patient_id, image_id = _store(vault, shared_data / "cxr/nih_examples/00000050_000.png")
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        run_image_findings(vault, image_id, cxr_runtime, cancel=token)
    assert vault.list_analyses(patient_id) == []


def test_categories_follow_operating_points() -> None:
    # Published model: likely at the PPV-80% point, possible at the operating point.
    assert categorise(0.80, 0.9, op_thresh=0.07, ppv80=0.72) == "likely"
    assert categorise(0.30, 0.6, op_thresh=0.07, ppv80=0.72) == "possible"
    assert categorise(0.05, 0.3, op_thresh=0.07, ppv80=0.72) == "unlikely"
    # A clinic-trained model has no PPV point: likely when well past the operating point.
    assert categorise(0.9, 0.8, op_thresh=0.4, ppv80=None) == "likely"
    assert categorise(0.5, 0.58, op_thresh=0.4, ppv80=None) == "possible"
    labels = ("Atelectasis", "Hernia", "Mass")
    ranked = rank_findings(
        labels, np.array([0.1, 0.9, 0.5]), np.array([0.4, 0.9, 0.6]),
        np.array([0.2, 0.3, np.nan]), None,
    )
    assert [f.label for f in ranked] == ["Hernia", "Atelectasis"]  # Mass was not assessed


def test_the_most_recently_installed_pack_is_used(
    cxr_runtime: ModelRuntime, cxr_pack: InstalledPack, xrv_checkpoint: Path
) -> None:
    import os

    from desktop.core.analysis.imaging import find_cxr_pack

    newer = cxr_runtime.registry.import_path(
        xrv_checkpoint, pack_id="cxr-second", task="cxr-classification"
    )
    old_manifest = cxr_pack.path / "manifest.toml"
    os.utime(old_manifest, ns=(1, 1))  # make the first import clearly older
    assert find_cxr_pack(cxr_runtime).id == newer.id


def test_a_pack_with_an_unusable_file_is_named_in_the_error(
    vault, cxr_runtime: ModelRuntime, shared_data: Path, tmp_path: Path
) -> None:
    import torch

    bogus = tmp_path / "resnet.pt"
    torch.save({"fc.weight": torch.zeros(2, 4)}, bogus)
    cxr_runtime.registry.import_path(bogus, pack_id="not-a-densenet", task="cxr-classification")
    patient_id, image_id = _store(vault, shared_data / "cxr/nih_examples/00000050_000.png")
    with pytest.raises(NotAvailableError, match="'not-a-densenet' cannot be used"):
        run_image_findings(vault, image_id, cxr_runtime)
    assert vault.list_analyses(patient_id) == []
