"""Class colours (the Pascal VOC colour map, as pycoral's segmentation example) and the colour mask PNG
of a segmentation result (``run.mask_png``: the sink writes it; this module writes no file)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def palette() -> Any:
    """[256, 3] uint8 RGB: class 0 black, then the VOC bit-interleaved colours."""
    import numpy as np

    colours = np.zeros((256, 3), dtype=np.uint8)
    ids = np.arange(256)
    for shift in reversed(range(8)):
        for channel in range(3):
            colours[:, channel] |= (((ids >> channel) & 1) << shift).astype(np.uint8)
        ids >>= 3
    return colours


def colour_bgr(class_id: int) -> tuple[int, int, int]:
    """The class's colour for OpenCV drawing (BGR); class 0 (often background) gets green, not black."""
    index = int(class_id) % 256
    if index == 0:
        return 0, 255, 0
    r, g, b = (int(v) for v in palette()[index])
    return b, g, r


def bright_bgr(class_id: int) -> tuple[int, int, int]:
    """A bright colour per class for boxes and their labels (hues spread by the golden ratio), BGR."""
    import colorsys

    r, g, b = colorsys.hsv_to_rgb((int(class_id) * 0.618034 + 0.33) % 1.0, 0.85, 1.0)
    return int(b * 255), int(g * 255), int(r * 255)


def colour_mask(class_map: Any) -> Any:
    """[H, W] class ids -> [H, W, 3] BGR colour image (ids above 255 wrap)."""
    import numpy as np

    rgb = palette()[np.asarray(class_map).astype(np.int64) % 256]
    return rgb[..., ::-1].copy()


def mask_png(class_map: Any, width: int | None = None, height: int | None = None) -> bytes:
    """The colour mask as PNG bytes, resized (nearest) to width x height when given."""
    import cv2

    image = colour_mask(class_map)
    if width and height and (image.shape[1], image.shape[0]) != (width, height):
        image = cv2.resize(image, (int(width), int(height)), interpolation=cv2.INTER_NEAREST)
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("OpenCV could not encode the mask as PNG")
    return data.tobytes()
