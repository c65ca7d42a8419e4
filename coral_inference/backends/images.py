"""Model inputs from an image folder: read with OpenCV (imported lazily), resized to the model input.

Used by run.mode=bench when run.images is set. A model input must look like an image batch,
[1, H, W, C] with C of 1 or 3; uint8 inputs get the pixels as they are, int8 inputs the pixels
shifted by -128, float inputs the pixels scaled to [0, 1].
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ConfigError

IMAGE_SUFFIXES = (".bmp", ".jpg", ".jpeg", ".png", ".ppm", ".pgm", ".tif", ".tiff", ".webp")


def image_files(folder: str, key: str = "run.images") -> list[Path]:
    """The image files of ``folder`` (sorted); ConfigError when it is missing or holds none."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise ConfigError(f"{key}: {folder!r} is not a folder (expected a folder of images)")
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ConfigError(
            f"{key}: no images in {folder!r} (expected files ending in {', '.join(IMAGE_SUFFIXES)})"
        )
    return files


def image_shape(input_details: list[dict[str, Any]], key: str = "run.images") -> tuple[int, int, int]:
    """(height, width, channels) of the model's single image input."""
    shape = [int(d) for d in input_details[0]["shape"]] if input_details else []
    if len(input_details) != 1 or len(shape) != 4 or shape[0] != 1 or shape[3] not in (1, 3):
        raise ConfigError(
            f"{key}: the model input {shape} is not an image batch "
            f"({len(input_details)} input(s); expected one input of shape [1, H, W, 1|3]); "
            "leave run.images unset to bench with random inputs"
        )
    return shape[1], shape[2], shape[3]


def load_image_inputs(folder: str, input_details: list[dict[str, Any]], key: str = "run.images") -> list[list[Any]]:
    """One input list per image in ``folder``, shaped and typed for the model."""
    try:
        import cv2
    except ImportError:
        raise ConfigError(
            f"{key}: reading images needs OpenCV: pip install 'coral_inference[opencv]' "
            "(opencv-python-headless), or leave run.images unset to use random inputs"
        ) from None
    import numpy as np

    height, width, channels = image_shape(input_details, key)
    dtype = np.dtype(input_details[0]["dtype"])
    out = []
    for file in image_files(folder, key):
        flag = cv2.IMREAD_GRAYSCALE if channels == 1 else cv2.IMREAD_COLOR
        image = cv2.imread(str(file), flag)
        if image is None:
            raise ConfigError(f"{key}: OpenCV cannot read {str(file)!r} (expected a readable image file)")
        if channels == 3:
            image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
        image = image.reshape(1, height, width, channels)
        if dtype == np.uint8:
            data = image.astype(np.uint8)
        elif dtype == np.int8:
            data = (image.astype(np.int16) - 128).astype(np.int8)
        else:
            data = (image.astype(np.float32) / 255.0).astype(dtype)
        out.append([data])
    return out
