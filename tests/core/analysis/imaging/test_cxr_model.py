"""The DenseNet-121 classifier: TorchXRayVision-compatible weights, loading, preprocessing."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from desktop.core.analysis.imaging.checkpoint import load_cxr_densenet, read_state_dict
from desktop.core.analysis.imaging.classifier import CxrModel
from desktop.core.analysis.imaging.densenet import (
    PATHOLOGIES,
    XRV_ALL_OP_THRESHS,
    CxrDenseNet,
    ScoringNet,
)
from desktop.core.analysis.imaging.preprocess import to_model_input
from desktop.core.errors import InputError
from desktop.core.inference import InstalledPack, ModelRuntime


def test_state_dict_keys_match_torchxrayvision_densenet121() -> None:
    state = CxrDenseNet().state_dict()
    # torchvision densenet121 + xrv's op_threshs buffer: 727 tensors + 1.
    assert len(state) == 728
    assert sum(k.endswith("num_batches_tracked") for k in state) == 121
    assert state["features.conv0.weight"].shape == (64, 1, 7, 7)  # single channel input
    assert state["features.denseblock4.denselayer16.conv2.weight"].shape == (32, 128, 3, 3)
    assert state["features.transition3.conv.weight"].shape == (512, 1024, 1, 1)
    assert state["features.norm5.running_var"].shape == (1024,)
    assert state["classifier.weight"].shape == (18, 1024)
    assert state["op_threshs"].shape == (18,)
    assert len(PATHOLOGIES) == 18 and PATHOLOGIES[0] == "Atelectasis"
    assert PATHOLOGIES[-1] == "Enlarged Cardiomediastinum"


def test_torchxrayvision_whole_model_checkpoint_loads_exactly(xrv_checkpoint: Path) -> None:
    net = load_cxr_densenet(xrv_checkpoint)
    state = read_state_dict(xrv_checkpoint)
    assert set(state) == set(net.state_dict()) - {"op_threshs"}
    for key, value in state.items():
        assert torch.equal(net.state_dict()[key], value), key
    # The file has no operating points: the published densenet121-res224-all ones are used.
    np.testing.assert_allclose(net.op_threshs.numpy(), XRV_ALL_OP_THRESHS, rtol=1e-6)


def test_legacy_format_torchxrayvision_file_loads(tmp_path: Path) -> None:
    import warnings

    from tests.fixtures.imaging import save_as_torchxrayvision_model

    net = CxrDenseNet()
    net.pathology_thresholds = np.linspace(0, 1, 18)  # non-torch attributes are skipped
    expected = net.classifier.weight.detach().clone()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns it cannot keep module source code
        save_as_torchxrayvision_model(net, tmp_path / "old.pt", legacy_format=True)
    loaded = load_cxr_densenet(tmp_path / "old.pt")
    assert torch.equal(loaded.classifier.weight, expected)


def test_imported_pack_loads_through_the_runtime_and_predicts(
    cxr_runtime: ModelRuntime, cxr_pack: InstalledPack, shared_data: Path
) -> None:
    from desktop.core.ingest.images import PNG, decode_image, to_display_uint8

    assert cxr_pack.manifest.format == "torch" and cxr_pack.task == "cxr-classification"
    model = cxr_runtime.load(cxr_pack.id)
    assert isinstance(model, CxrModel) and model.ppv80_threshs is not None
    data = (shared_data / "cxr/nih_examples/00000001_000-Cardiomegaly.png").read_bytes()
    prediction = model.predict(to_display_uint8(decode_image(data, PNG)))
    assert prediction.probabilities.shape == (18,) and prediction.cams.shape == (18, 7, 7)
    assert ((prediction.probabilities > 0) & (prediction.probabilities < 1)).all()
    assert (prediction.cams >= 0).all()
    assert (prediction.crop.x, prediction.crop.y, prediction.crop.size) == (0, 0, 1024)


def test_plain_state_dict_and_safetensors_load(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    torch.manual_seed(1)
    net = CxrDenseNet()
    net.op_threshs.fill_(0.3)
    torch.save(net.state_dict(), tmp_path / "plain.pt")
    save_file(net.state_dict(), str(tmp_path / "weights.safetensors"))
    for name in ("plain.pt", "weights.safetensors"):
        loaded = load_cxr_densenet(tmp_path / name)
        assert torch.equal(loaded.classifier.weight, net.classifier.weight)
        assert torch.allclose(loaded.op_threshs, torch.full((18,), 0.3))


def test_wrong_architecture_is_refused(tmp_path: Path) -> None:
    state = CxrDenseNet().state_dict()
    del state["features.denseblock4.denselayer16.conv2.weight"]
    torch.save(state, tmp_path / "broken.pt")
    with pytest.raises(InputError, match="does not match the DenseNet-121"):
        load_cxr_densenet(tmp_path / "broken.pt")
    torch.save({"classifier.weight": torch.zeros(3, 5)}, tmp_path / "other.pt")
    with pytest.raises(InputError, match="not a DenseNet-121"):
        load_cxr_densenet(tmp_path / "other.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint at all")
    with pytest.raises(InputError, match="not a readable PyTorch checkpoint"):
        load_cxr_densenet(tmp_path / "junk.pt")


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # noqa: ANN204 - what a malicious checkpoint would contain
        return (os.system, (f"touch {self.marker}",))


def test_checkpoint_that_would_run_code_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"model": _Exploit(marker)}, path)
    with pytest.raises(InputError, match="not a DenseNet-121"):
        load_cxr_densenet(path)
    assert not marker.exists()  # os.system was never called


@pytest.fixture
def one_thread():
    """Backward passes on a busy 2-core machine are far faster single-threaded."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def test_grad_cam_closed_form_matches_autograd(one_thread: None) -> None:
    torch.manual_seed(3)
    net = CxrDenseNet().eval()
    x = torch.randn(1, 1, 96, 96) * 400  # small input keeps the test fast; 3x3 map
    _, _, cams = ScoringNet(net)(x)
    target = 10  # Cardiomegaly
    fmap = net.feature_map(x)
    fmap.retain_grad()
    logits = net.classifier(fmap.mean(dim=(2, 3)))
    logits[0, target].backward()
    weights = fmap.grad.mean(dim=(2, 3), keepdim=True)  # Grad-CAM channel weights
    reference = torch.relu((weights * fmap).sum(dim=1))[0].detach()
    ours = cams[0, target].detach()
    scale = fmap.shape[2] * fmap.shape[3]  # d logit / dA = W / (H * W)
    torch.testing.assert_close(ours / scale, reference, rtol=1e-4, atol=1e-6)


def test_operating_point_calibration_matches_torchxrayvision_op_norm() -> None:
    net = CxrDenseNet()
    net.op_threshs.copy_(torch.tensor(XRV_ALL_OP_THRESHS))
    net.op_threshs[5] = float("nan")
    probs = torch.rand(4, 18)
    out = net.calibrate(probs)
    t = net.op_threshs
    for i in range(4):
        for j in range(18):
            p, th = probs[i, j].item(), t[j].item()
            if np.isnan(th):
                expected = 0.5
            elif p < th:
                expected = p / (th * 2)
            else:
                expected = 1 - (1 - p) / ((1 - th) * 2)
            assert out[i, j].item() == pytest.approx(expected, rel=1e-5)
    at_threshold = net.calibrate(t.clone().nan_to_num(0.5)[None])
    assert torch.allclose(at_threshold, torch.full((1, 18), 0.5))


def test_preprocessing_is_xrv_centre_crop_resize_and_scale() -> None:
    display = np.zeros((300, 500), dtype=np.uint8)
    display[:, 100:400] = 255  # the centred 300x300 square is white, the sides black
    x, crop = to_model_input(display)
    assert x.shape == (1, 1, 224, 224) and x.dtype == torch.float32
    assert (crop.x, crop.y, crop.size) == (100, 0, 300)
    assert torch.allclose(x, torch.full_like(x, 1024.0))
    x, _ = to_model_input(np.zeros((50, 50), dtype=np.uint8))
    assert torch.allclose(x, torch.full_like(x, -1024.0))


def test_models_import_cli_then_findings_cli(
    xrv_checkpoint: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from desktop.cli import main

    assert main([
        "models", "import", str(xrv_checkpoint), "--task", "cxr-classification",
        "--id", "xrv-densenet121-all",
    ]) == 0
    capsys.readouterr()
    image = shared_data / "dicom/chest_xray/c64d5667-a776-4f95-9e21-bfabafb07740.dcm"
    assert main(["findings", str(image), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["provenance"]["pack_id"] == "xrv-densenet121-all"
    assert len(result["items"]) == 18 and result["refusal"] is None
