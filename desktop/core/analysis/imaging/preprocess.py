"""Display pixels -> classifier input, exactly as TorchXRayVision prepares images.

xrv: ``normalize(img, 255)`` scales 8-bit to [-1024, 1024]; ``XRayCenterCrop`` keeps the
centred square of the shorter side; ``XRayResizer(224)`` resamples (area-averaging when
shrinking). The model sees the same 8-bit rendering a clinician sees (window/level and
MONOCHROME1 inversion applied by ``to_display_uint8``), which is also how the published
models were trained (8-bit PNG/JPEG exports).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from desktop.core.analysis.imaging.densenet import INPUT_SIZE


@dataclass(frozen=True)
class CropBox:
    """The square of the original image the model saw (pixel coordinates of the original)."""

    x: int
    y: int
    size: int


def center_crop_box(height: int, width: int) -> CropBox:
    size = min(height, width)
    return CropBox(x=width // 2 - size // 2, y=height // 2 - size // 2, size=size)


def to_model_input(display: np.ndarray, size: int = INPUT_SIZE) -> tuple[torch.Tensor, CropBox]:
    """``(1, 1, size, size)`` float32 in [-1024, 1024] and the crop it came from."""
    if display.dtype != np.uint8 or display.ndim != 2:
        raise ValueError("expected a 2-D uint8 display image")
    box = center_crop_box(*display.shape)
    square = display[box.y : box.y + box.size, box.x : box.x + box.size]
    resized = Image.fromarray(square.astype(np.float32), mode="F").resize(
        (size, size), Image.Resampling.BOX if box.size >= size else Image.Resampling.BILINEAR
    )
    pixels = np.asarray(resized, dtype=np.float32)
    scaled = (2.0 * (pixels / 255.0) - 1.0) * 1024.0
    return torch.from_numpy(scaled)[None, None], box
