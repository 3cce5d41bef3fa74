"""`desktop train-cxr` on the real labelled set, then `desktop findings` with the new pack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core.analysis.imaging.densenet import PATHOLOGIES
from desktop.core.analysis.imaging.train import read_label_table, train_cxr
from desktop.core.config import load_settings
from desktop.core.errors import InputError
from desktop.core.inference import PackRegistry
from desktop.core.tasks import Cancelled, CancelToken


def _no_nan(value: str) -> float:
    raise AssertionError(f"report contains {value}")


@pytest.mark.slow
def test_train_cxr_writes_an_installed_pack_with_an_auc_report(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cxr = shared_data / "cxr"
    code = main([
        "train-cxr", "--images", str(cxr), "--labels", str(cxr / "labels_all.csv"),
        "--epochs", "1", "--image-size", "64", "--threads", "1", "--id", "cxr-clinic-test",
    ])
    assert code == 0
    printed = capsys.readouterr().out
    assert "held-out AUC per label" in printed and "Cardiomegaly" in printed

    pack = PackRegistry(load_settings()).verify("cxr-clinic-test")  # checksums re-hashed
    assert pack.task == "cxr-classification" and pack.manifest.runtime["input_size"] == 64
    report = json.loads((pack.path / "report.json").read_text(), parse_constant=_no_nan)
    assert set(report["auc"]) == set(PATHOLOGIES)
    scored = {k: v for k, v in report["auc"].items() if v is not None}
    assert scored and all(0.0 <= v <= 1.0 for v in scored.values())
    assert None in report["auc"].values()  # labels with one held-out class: n/a, not NaN
    assert report["train_images"] + report["heldout_images"] == report["images_used"] >= 10
    assert report["skipped"]["image not found"] > 0  # rows naming images not in the folder

    # The freshly trained pack answers `desktop findings` for a real chest X-ray.
    image = cxr / "nih_examples" / "00000003_000-Hernia.png"
    assert main(["findings", str(image), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["refusal"] is None and result["provenance"]["pack_id"] == "cxr-clinic-test"
    assert all(item["category"] in {"likely", "possible", "unlikely"} for item in result["items"])


def test_findings_command_refuses_an_mr_image(
    dicom_dir: Path, cxr_pack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["findings", str(dicom_dir / "pydicom_test_files/MR_small.dcm")]) == 3
    assert "MRI image" in capsys.readouterr().out


def test_findings_command_without_a_pack_explains_how_to_install(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = shared_data / "cxr/nih_examples/00000050_000.png"
    assert main(["findings", str(image)]) == 2
    assert "desktop models import" in capsys.readouterr().err


def test_label_table_reads_nih_layout_and_skips_unknown_labels(tmp_path: Path) -> None:
    for name in ("00000001_000.png", "00000002_000.png", "00000003_000.png"):
        (tmp_path / name).write_bytes(b"")
    table = tmp_path / "Data_Entry.csv"
    table.write_text(
        "Image Index,Finding Labels,Patient ID\n"
        "00000001_000.png,Cardiomegaly|Effusion,1\n"
        "00000002_000.png,No Finding,2\n"
        "00000003_000.png,COVID-19,3\n"
        "missing.png,Hernia,4\n"
    )
    items, skipped = read_label_table(table, tmp_path)
    assert [i.path.name for i in items] == ["00000001_000.png", "00000002_000.png"]
    assert items[0].targets[PATHOLOGIES.index("Cardiomegaly")] == 1
    assert items[0].targets[PATHOLOGIES.index("Effusion")] == 1
    assert items[1].targets.sum() == 0 and items[0].group == "1"
    assert skipped == {"image not found": 1, "labels outside the 18 pathologies": 1}


def test_bad_training_inputs_are_refused(tmp_path: Path, shared_data: Path) -> None:
    table = tmp_path / "labels.csv"
    table.write_text("name,diagnosis\nx.png,Hernia\n")
    with pytest.raises(InputError, match="needs an image column"):
        train_cxr(tmp_path, table, load_settings())
    table.write_text("path,labels\nnope.png,Hernia\n")
    with pytest.raises(InputError, match="Only 0 labelled images"):
        train_cxr(tmp_path, table, load_settings())
    with pytest.raises(InputError, match="does not exist"):
        train_cxr(tmp_path / "absent", table, load_settings())


def test_training_can_be_cancelled_and_leaves_no_pack(shared_data: Path) -> None:
    token = CancelToken()
    token.cancel()
    cxr = shared_data / "cxr"
    with pytest.raises(Cancelled):
        train_cxr(cxr, cxr / "labels_all.csv", load_settings(), pack_id="never",
                  image_size=32, epochs=1, cancel=token, threads=1)
    assert not (load_settings().packs_dir / "never").exists()
