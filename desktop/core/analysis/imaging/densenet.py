"""DenseNet-121 chest X-ray classifier, layer for layer TorchXRayVision's ``DenseNet``.

Module names, parameter shapes and the ``op_threshs`` buffer match
``xrv.models.DenseNet(weights="densenet121-res224-all")`` so its published checkpoint loads
with ``load_state_dict`` (see ``checkpoint.py``). Input: ``(N, 1, 224, 224)`` float32 scaled
to [-1024, 1024] (``preprocess.py``). ``forward`` returns logits; ``calibrate`` applies
TorchXRayVision's ``op_norm`` so each label's operating point maps to 0.5.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

# Output order of densenet121-res224-all (xrv.datasets.default_pathologies).
PATHOLOGIES: tuple[str, ...] = (
    "Atelectasis",
    "Consolidation",
    "Infiltration",
    "Pneumothorax",
    "Edema",
    "Emphysema",
    "Fibrosis",
    "Effusion",
    "Pneumonia",
    "Pleural_Thickening",
    "Cardiomegaly",
    "Nodule",
    "Mass",
    "Hernia",
    "Lung Lesion",
    "Fracture",
    "Lung Opacity",
    "Enlarged Cardiomediastinum",
)
# Published operating points of densenet121-res224-all (xrv model_urls["all"]): per label,
# the probability that best separates positives from negatives on its validation data,
# and the probability at which positive predictive value reached 80%.
XRV_ALL_OP_THRESHS = (
    0.07422872, 0.038290843, 0.09814756, 0.0098118475, 0.023601074, 0.0022490358,
    0.010060724, 0.103246614, 0.056810737, 0.026791653, 0.050318155, 0.023985857,
    0.01939503, 0.042889766, 0.053369623, 0.035975814, 0.20204692, 0.05015312,
)  # fmt: skip
XRV_ALL_PPV80_THRESHS = (
    0.72715247, 0.8885005, 0.92493945, 0.6527224, 0.68707734, 0.46127197, 0.7272054,
    0.6127343, 0.9878492, 0.61979693, 0.66309816, 0.7853459, 0.930661, 0.93645346,
    0.6788558, 0.6547198, 0.61614525, 0.8489876,
)  # fmt: skip
INPUT_SIZE = 224
GROWTH_RATE, BLOCK_CONFIG, INIT_FEATURES, BN_SIZE = 32, (6, 12, 24, 16), 64, 4
FEATURE_CHANNELS = 1024


class _DenseLayer(nn.Sequential):
    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.add_module("norm1", nn.BatchNorm2d(in_features))
        self.add_module("relu1", nn.ReLU(inplace=True))
        self.add_module("conv1", nn.Conv2d(in_features, BN_SIZE * GROWTH_RATE, 1, bias=False))
        self.add_module("norm2", nn.BatchNorm2d(BN_SIZE * GROWTH_RATE))
        self.add_module("relu2", nn.ReLU(inplace=True))
        self.add_module(
            "conv2", nn.Conv2d(BN_SIZE * GROWTH_RATE, GROWTH_RATE, 3, padding=1, bias=False)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, super().forward(x)], 1)


class _DenseBlock(nn.Sequential):
    def __init__(self, num_layers: int, in_features: int) -> None:
        super().__init__()
        for i in range(num_layers):
            self.add_module(f"denselayer{i + 1}", _DenseLayer(in_features + i * GROWTH_RATE))


class _Transition(nn.Sequential):
    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.add_module("norm", nn.BatchNorm2d(in_features))
        self.add_module("relu", nn.ReLU(inplace=True))
        self.add_module("conv", nn.Conv2d(in_features, out_features, 1, bias=False))
        self.add_module("pool", nn.AvgPool2d(kernel_size=2, stride=2))


class CxrDenseNet(nn.Module):
    """DenseNet-121, one input channel, ``len(labels)`` outputs (18 for TorchXRayVision)."""

    def __init__(self, num_classes: int = len(PATHOLOGIES)) -> None:
        super().__init__()
        self.features = nn.Sequential(
            OrderedDict(
                conv0=nn.Conv2d(1, INIT_FEATURES, 7, stride=2, padding=3, bias=False),
                norm0=nn.BatchNorm2d(INIT_FEATURES),
                relu0=nn.ReLU(inplace=True),
                pool0=nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
            )
        )
        channels = INIT_FEATURES
        for i, num_layers in enumerate(BLOCK_CONFIG):
            self.features.add_module(f"denseblock{i + 1}", _DenseBlock(num_layers, channels))
            channels += num_layers * GROWTH_RATE
            if i != len(BLOCK_CONFIG) - 1:
                self.features.add_module(f"transition{i + 1}", _Transition(channels, channels // 2))
                channels //= 2
        self.features.add_module("norm5", nn.BatchNorm2d(channels))
        self.classifier = nn.Linear(channels, num_classes)
        # NaN = no operating point (label not assessed by this model).
        self.register_buffer("op_threshs", torch.full((num_classes,), math.nan))
        for m in self.modules():  # torchvision/xrv initialisation, for training from scratch
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """Rectified last feature map ``(N, 1024, H/32, W/32)`` — what Grad-CAM weighs."""
        return F.relu(self.features(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = F.adaptive_avg_pool2d(self.feature_map(x), (1, 1)).flatten(1)
        return self.classifier(pooled)

    def calibrate(self, probs: torch.Tensor) -> torch.Tensor:
        """xrv ``op_norm``: operating point -> 0.5, piecewise linear; NaN point -> 0.5."""
        t = self.op_threshs.to(probs.dtype).expand_as(probs)
        known = ~torch.isnan(t)
        safe_t = torch.where(known, t, torch.full_like(t, 0.5))
        below = probs / (safe_t * 2)
        above = 1.0 - (1.0 - probs) / ((1.0 - safe_t) * 2)
        out = torch.where(probs < safe_t, below, above)
        return torch.where(known, out, torch.full_like(out, 0.5))


class ScoringNet(nn.Module):
    """Image -> (probabilities, calibrated scores, class activation maps) in one pass.

    Grad-CAM on the rectified last feature map has a closed form here: the classifier
    follows global average pooling, so d logit_c / d A_k(h, w) = W[c, k] / (H * W) and the
    Grad-CAM map is ``relu(sum_k W[c, k] * A_k)`` up to a positive factor. One forward pass
    yields every label's map (tests check it against autograd). Also what ONNX exports.
    """

    def __init__(self, net: CxrDenseNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        fmap = self.net.feature_map(x)
        pooled = fmap.mean(dim=(2, 3))
        probs = torch.sigmoid(self.net.classifier(pooled))
        cams = F.relu(torch.einsum("ck,nkhw->nchw", self.net.classifier.weight, fmap))
        return probs, self.net.calibrate(probs), cams
