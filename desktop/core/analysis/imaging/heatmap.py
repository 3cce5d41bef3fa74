"""Grad-CAM maps -> where on the original image, as a box and as a PNG overlay.

The maps come from ``densenet.ScoringNet`` (7x7 for a 224 px input) and cover the centre
crop the model saw; everything here maps them back to the original image's pixels.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image
from scipy import ndimage

from desktop.core.analysis.imaging.preprocess import CropBox

OVERLAY_MAX_SIDE = 256  # a 7x7 map holds no finer detail; the viewer scales it up
HOT_FRACTION = 0.5  # the evidence box covers the connected area above half the peak


def heat_on_image(cam: np.ndarray, crop: CropBox, image_shape: tuple[int, int]) -> np.ndarray:
    """The map resampled onto the whole image at overlay scale, in [0, 1] (0 outside crop)."""
    height, width = image_shape
    scale = min(1.0, OVERLAY_MAX_SIDE / max(height, width))
    out_h, out_w = max(1, round(height * scale)), max(1, round(width * scale))
    heat = np.zeros((out_h, out_w), dtype=np.float32)
    side = max(1, round(crop.size * scale))
    peak = float(cam.max())
    if peak <= 0:
        return heat
    square = Image.fromarray((cam / peak).astype(np.float32), mode="F").resize(
        (side, side), Image.Resampling.BILINEAR
    )
    x0, y0 = round(crop.x * scale), round(crop.y * scale)
    region = np.asarray(square)[: out_h - y0, : out_w - x0]
    heat[y0 : y0 + region.shape[0], x0 : x0 + region.shape[1]] = np.clip(region, 0, 1)
    return heat


def hottest_box(heat: np.ndarray, image_shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """``(x, y, width, height)`` in original pixels of the connected hot area around the peak."""
    if heat.max() <= 0:
        return 0, 0, image_shape[1], image_shape[0]
    labels, _ = ndimage.label(heat >= HOT_FRACTION * heat.max())
    peak = np.unravel_index(int(np.argmax(heat)), heat.shape)
    ys, xs = np.nonzero(labels == labels[peak])
    sy, sx = image_shape[0] / heat.shape[0], image_shape[1] / heat.shape[1]
    x0, y0 = int(xs.min() * sx), int(ys.min() * sy)
    x1 = min(image_shape[1], int(np.ceil((xs.max() + 1) * sx)))
    y1 = min(image_shape[0], int(np.ceil((ys.max() + 1) * sy)))
    return x0, y0, x1 - x0, y1 - y0


def _colour_map(values: np.ndarray) -> np.ndarray:
    """Blue -> cyan -> yellow -> red, a perceptually ordered 'hot' ramp without matplotlib."""
    stops = np.array([[0, 0, 255], [0, 255, 255], [255, 255, 0], [255, 0, 0]], dtype=np.float32)
    pos = np.clip(values, 0, 1) * (len(stops) - 1)
    i = np.minimum(pos.astype(int), len(stops) - 2)
    frac = (pos - i)[..., None]
    return stops[i] * (1 - frac) + stops[i + 1] * frac


def overlay_png(heat: np.ndarray) -> bytes:
    """RGBA PNG covering the whole image: colour = heat, transparent where heat is low."""
    rgb = _colour_map(heat)
    alpha = np.clip((heat - 0.2) / 0.8, 0, 1) * 170  # never fully hides the anatomy
    rgba = np.dstack([rgb, alpha]).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def overlay_base64(heat: np.ndarray) -> str:
    return base64.b64encode(overlay_png(heat)).decode("ascii")


def blend(display: np.ndarray, overlay: bytes) -> np.ndarray:
    """The greyscale display with the overlay composited on top (RGB uint8), for export."""
    base = Image.fromarray(display).convert("RGBA")
    with Image.open(io.BytesIO(overlay)) as layer:
        top = layer.convert("RGBA").resize(base.size, Image.Resampling.BILINEAR)
    return np.asarray(Image.alpha_composite(base, top).convert("RGB"))
