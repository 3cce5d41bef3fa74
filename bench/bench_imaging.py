"""Chest X-ray findings latency on 2 CPU threads, against ONNX Runtime in the same run.

Measures, on a real 1024x1024 NIH chest X-ray from ../shared/data:
  * prediction: preprocessing (centre crop, resize, scale) + DenseNet-121 forward with the
    18 probabilities, calibrated scores and Grad-CAM maps (goal < 0.3 s);
  * heatmap: prediction + evidence boxes and PNG overlays for the top findings, i.e. the
    whole ``findings_result`` (goal < 1 s);
  * the same network exported with ``torch.onnx`` and run by ONNX Runtime (2 threads).
Under CPU contention OpenMP's default spin-waiting makes torch's 2-thread runs erratic;
compare with ``OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/bench_imaging.py``.
Weights are random (same shapes as TorchXRayVision's densenet121-res224-all; latency does
not depend on their values). Prints medians and the torch / ONNX Runtime ratio.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402

import desktop  # noqa: E402,F401  (offline mode)
from desktop.core.analysis.imaging import findings_result  # noqa: E402
from desktop.core.analysis.imaging.classifier import CxrModel  # noqa: E402
from desktop.core.analysis.imaging.densenet import CxrDenseNet, ScoringNet  # noqa: E402
from desktop.core.analysis.imaging.preprocess import to_model_input  # noqa: E402
from desktop.core.ingest.images import PNG, decode_image, to_display_uint8  # noqa: E402

THREADS = 2
RUNS = 10
IMAGE = ROOT.parent / "shared/data/cxr/nih_examples/00000001_000-Cardiomegaly.png"


def median_seconds(fn, runs: int = RUNS) -> float:
    fn()  # warm-up (allocations, kernel selection)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    net = CxrDenseNet()
    with torch.no_grad():
        net.classifier.weight.mul_(0.02)
        net.op_threshs.copy_(torch.full((18,), 0.5))
    model = CxrModel(net)
    decoded = decode_image(IMAGE.read_bytes(), PNG)
    display = to_display_uint8(decoded)

    predict_s = median_seconds(lambda: model.predict(display))

    def heatmap() -> None:
        findings_result(decoded, 1, model, model.predict(display), None)

    heatmap_s = median_seconds(heatmap)
    prediction = model.predict(display)
    post_s = median_seconds(lambda: findings_result(decoded, 1, model, prediction, None))
    x, _ = to_model_input(display)
    forward_s = median_seconds(lambda: _torch_forward(model, x))

    with tempfile.TemporaryDirectory() as tmp:  # random weights only, no patient data
        onnx_path = Path(tmp) / "cxr.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                ScoringNet(net).eval(), (x,), str(onnx_path), dynamo=False, opset_version=17,
                input_names=["image"], output_names=["probs", "scores", "cams"],
            )
        options = ort.SessionOptions()
        options.intra_op_num_threads = THREADS
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(
            str(onnx_path), options, providers=["CPUExecutionProvider"]
        )
        feed = {"image": x.numpy()}
        onnx_s = median_seconds(lambda: session.run(None, feed))
        onnx_probs = session.run(None, feed)[0]
    with torch.inference_mode():
        torch_probs = ScoringNet(net)(x)[0].numpy()
    max_diff = float(np.abs(onnx_probs - torch_probs).max())

    policy = os.environ.get("OMP_WAIT_POLICY", "default (spinning)")
    print(f"chest X-ray findings, DenseNet-121 224 px, {THREADS} threads, median of {RUNS}, "
          f"OMP_WAIT_POLICY={policy}")
    print(f"  prediction (preprocess + forward + CAMs): {predict_s * 1000:7.1f} ms  (goal < 300)")
    print(f"  heatmap (prediction + boxes + overlays):  {heatmap_s * 1000:7.1f} ms  (goal < 1000)")
    print(f"  of which boxes + overlays alone:          {post_s * 1000:7.1f} ms")
    print(f"  torch forward only:                       {forward_s * 1000:7.1f} ms")
    print(f"  ONNX Runtime forward (same network):      {onnx_s * 1000:7.1f} ms")
    print(f"  ratio torch / ONNX Runtime forward:       {forward_s / onnx_s:7.2f}x")
    print(f"  ratio prediction / ONNX Runtime forward:  {predict_s / onnx_s:7.2f}x")
    print(f"  max |probability difference| torch vs ONNX: {max_diff:.2e}")
    return 0


def _torch_forward(model: CxrModel, x: torch.Tensor) -> None:
    with torch.inference_mode():
        model.scorer(x)


if __name__ == "__main__":
    sys.exit(main())
