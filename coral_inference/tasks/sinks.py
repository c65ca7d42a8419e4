"""The ``masks`` sink (registry kind "sink"): with ``run.mask_png=true``, each segmentation result's class
mask as a colour PNG (tasks/mask.py, Pascal VOC colours, frame size) at ``masks/<stream>/<frame>.png`` in
the run directory. It sets ``result["mask"]`` to that path (relative to the run directory), so the stream
manager runs it before the results sink. Files are written as the rest of the run's files are (files.py:
never through a symlink; a mask of the same frame number in this run's folder is replaced).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional


class MaskSink:
    def __init__(self, stream: Any, context: Any):
        self.run_dir = Path(getattr(stream, "run_dir", None) or getattr(context, "run_dir", None) or Path.cwd())
        self.stream = str(getattr(stream, "name", "default"))
        self.folder: Optional[Path] = None
        self.written = 0

    def write(self, result: dict, frame: Any) -> None:
        mask = result.get("_mask")
        if mask is None or frame is None:
            return
        from ..files import ensure_dir, open_for_write, plain_name
        from .mask import mask_png

        if self.folder is None:
            plain_name(self.stream, f"streams.{self.stream}")
            self.folder = ensure_dir(self.run_dir, "masks", self.stream, what="masks folder")
        name = f"{int(result.get('frame', self.written)):06d}.png"
        with open_for_write(self.folder / name, "mask file", replace=True, binary=True) as out:
            out.write(mask_png(mask, frame.shape[1], frame.shape[0]))
        result["mask"] = f"masks/{self.stream}/{name}"
        self.written += 1

    def close(self) -> Optional[dict]:
        return {"folder": str(self.folder) if self.folder else None, "masks": self.written}


def mask_sink(stream: Any, context: Any) -> Optional[MaskSink]:
    """The factory: a MaskSink when run.mask_png is on, else None (no sink)."""
    config = getattr(context, "config", None)
    on = bool(getattr(getattr(config, "run", None), "mask_png", False))
    return MaskSink(stream, context) if on else None
