"""Heatmaps land on the right part of the original image, whatever its shape."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from desktop.core.analysis.imaging.heatmap import (
    blend,
    heat_on_image,
    hottest_box,
    overlay_base64,
)
from desktop.core.analysis.imaging.preprocess import center_crop_box


def test_hot_spot_maps_back_through_the_centre_crop() -> None:
    shape = (400, 1000)  # wide image: the model saw the centred 400x400 square
    crop = center_crop_box(*shape)
    assert (crop.x, crop.y, crop.size) == (300, 0, 400)
    cam = np.zeros((7, 7), dtype=np.float32)
    cam[0, 0] = 1.0  # top-left cell of the crop
    heat = heat_on_image(cam, crop, shape)
    x, y, w, h = hottest_box(heat, shape)
    assert 300 <= x < 360 and y < 60  # inside the crop's top-left corner
    assert w < 200 and h < 200
    assert heat[:, : int(300 * heat.shape[1] / 1000) - 1].max() == 0  # nothing left of crop


def test_overlay_is_a_transparent_png_scaled_to_the_image() -> None:
    cam = np.zeros((7, 7), dtype=np.float32)
    cam[3, 3] = 2.0
    shape = (1955, 1841)
    heat = heat_on_image(cam, center_crop_box(*shape), shape)
    png = base64.b64decode(overlay_base64(heat))
    with Image.open(io.BytesIO(png)) as overlay:
        assert overlay.mode == "RGBA" and max(overlay.size) == 256
        alpha = np.asarray(overlay)[..., 3]
    assert alpha[0, 0] == 0 and alpha.max() > 100  # cold corners clear, hot centre tinted
    composite = blend(np.zeros(shape, np.uint8), png)
    assert composite.shape == (*shape, 3)
    assert composite[shape[0] // 2, shape[1] // 2].sum() > 0 and composite[0, 0].sum() == 0


def test_empty_map_gives_whole_image_box() -> None:
    shape = (100, 80)
    heat = heat_on_image(np.zeros((7, 7), np.float32), center_crop_box(*shape), shape)
    assert hottest_box(heat, shape) == (0, 0, 80, 100)
