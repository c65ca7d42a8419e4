"""Model inputs from an image folder (run.images, bench mode): read with OpenCV (imported lazily) and
converted exactly as streams convert frames (backends/inputs.py ``to_input``). The image suffixes are
defined here; streams' folder sources use the same listing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ConfigError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm"}


def image_files(folder: str, key: str = "run.images") -> list[Path]:
    """The image files of ``folder`` (sorted); ConfigError when it is missing or holds none."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise ConfigError(f"{key}: {folder!r} is not a folder (expected a folder of images)")
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ConfigError(f"{key}: no images in {folder!r} (expected files ending in "
                          f"{', '.join(sorted(IMAGE_SUFFIXES))})")
    return files


def load_image_inputs(folder: str, input_details: list[dict[str, Any]], key: str = "run.images") -> list[list[Any]]:
    """One input list per image in ``folder``, shaped and typed for the model."""
    files = image_files(folder, key)
    try:
        import cv2
    except ImportError:
        raise ConfigError(
            f"{key}: reading images needs OpenCV: pip install 'coral_inference[opencv]' "
            "(opencv-python-headless), or leave run.images unset to use random inputs"
        ) from None
    from .inputs import to_input

    out = []
    for file in files:
        frame = cv2.imread(str(file), cv2.IMREAD_COLOR)
        if frame is None:
            raise ConfigError(f"{key}: OpenCV cannot read {str(file)!r} (expected a readable image file)")
        out.append([to_input(frame, detail) for detail in input_details])
    return out
