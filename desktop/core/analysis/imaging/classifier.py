"""The loaded chest X-ray model of a pack: what the runtime's "cxr-classification" loader returns.

``load_cxr_pack(pack)`` reads the pack's checkpoint (a TorchXRayVision file imported by IT,
or the safetensors written by ``desktop train-cxr``); ``CxrModel.predict`` turns a display
image into probabilities, calibrated scores and Grad-CAM maps in one forward pass.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from desktop.core.analysis.imaging.checkpoint import load_cxr_densenet
from desktop.core.analysis.imaging.densenet import (
    INPUT_SIZE,
    PATHOLOGIES,
    XRV_ALL_OP_THRESHS,
    XRV_ALL_PPV80_THRESHS,
    CxrDenseNet,
    ScoringNet,
)
from desktop.core.analysis.imaging.preprocess import CropBox, to_model_input
from desktop.core.errors import InputError, NotAvailableError
from desktop.core.inference.packs import InstalledPack

CHECKPOINT_SUFFIXES = (".safetensors", ".pt", ".pth", ".ckpt", ".bin")


@dataclass(frozen=True)
class Prediction:
    probabilities: np.ndarray  # (labels,) sigmoid outputs
    scores: np.ndarray  # (labels,) op_norm-calibrated: 0.5 = the label's operating point
    cams: np.ndarray  # (labels, h, w) Grad-CAM maps over the crop, >= 0
    crop: CropBox


class CxrModel:
    """A DenseNet-121 chest X-ray classifier ready for inference (thread-safe)."""

    def __init__(self, net: CxrDenseNet, *, labels: tuple[str, ...] = PATHOLOGIES,
                 input_size: int = INPUT_SIZE, pack: InstalledPack | None = None) -> None:
        self.model = net.eval()  # ``model`` is what the runtime measures for its memory budget
        self.scorer = ScoringNet(net).eval()
        self.labels = labels
        self.input_size = input_size
        self.pack = pack
        self.op_threshs = net.op_threshs.detach().numpy().astype(np.float64)
        published = np.allclose(self.op_threshs, XRV_ALL_OP_THRESHS, equal_nan=False)
        # PPV-80% points exist only for the published TorchXRayVision model.
        self.ppv80_threshs = np.asarray(XRV_ALL_PPV80_THRESHS) if published else None
        self._lock = threading.Lock()

    def predict(self, display: np.ndarray) -> Prediction:
        x, crop = to_model_input(display, self.input_size)
        with self._lock, torch.inference_mode():
            probs, scores, cams = self.scorer(x)
        return Prediction(probs[0].numpy(), scores[0].numpy(), cams[0].numpy(), crop)


def checkpoint_file(pack: InstalledPack) -> Path:
    for f in pack.manifest.files:
        if f.path.lower().endswith(CHECKPOINT_SUFFIXES):
            return pack.path / f.path
    raise InputError(f"The model pack '{pack.id}' contains no checkpoint file.")


def load_cxr_pack(pack: InstalledPack) -> CxrModel:
    """The runtime loader for task "cxr-classification" (runs on the inference worker).

    A pack whose file is not a usable classifier raises NotAvailableError naming the pack,
    so the clinician sees that the model (not their image) is the problem.
    """
    try:
        net = load_cxr_densenet(checkpoint_file(pack))
    except InputError as exc:
        raise NotAvailableError(
            f"The chest X-ray model pack '{pack.id}' cannot be used: {exc} IT should remove "
            "it (`desktop models remove`) and import the TorchXRayVision densenet121-res224-all "
            "file or a pack made by `desktop train-cxr`."
        ) from exc
    outputs = net.classifier.out_features
    if outputs != len(PATHOLOGIES):
        raise NotAvailableError(
            f"The chest X-ray model pack '{pack.id}' predicts {outputs} labels; ClinicDesk "
            "reads the 18 TorchXRayVision pathologies (densenet121-res224-all order)."
        )
    size = int(pack.manifest.runtime.get("input_size", INPUT_SIZE))
    return CxrModel(net, input_size=size, pack=pack)
