"""segmentation: one output of class ids per pixel ``[1, H, W]`` (integers, not quantized: an ArgMax
inside the model, as Coral's DeepLab) or of per-class scores ``[1, H, W, C]`` (C >= 2; argmax here),
H and W at least 8.

Result: ``{"kind": "segmentation", "classes": [{"class", "label", "fraction"}]}`` for every class present,
largest first (fractions of the model's output pixels), plus ``"_mask"``: the class map (numpy [H, W]) for
``draw()`` and ``mask.mask_png()``. Keys starting with ``_`` are never serialized (results.jsonl, summary).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from .outputs import dequantize, is_integer

MIN_SIDE = 8


class Segmentation:
    task = "segmentation"

    def match(self, details: Sequence[Mapping[str, Any]]) -> str | None:
        if len(details) != 1:
            return None
        d = details[0]
        shape = tuple(d["shape"])
        if len(shape) == 3 and shape[0] == 1 and min(shape[1:]) >= MIN_SIDE and is_integer(d) \
                and not d["quantization"][0]:
            return f"one output {list(shape)} {d['dtype']}: a class id per pixel ({shape[1]}x{shape[2]})"
        if len(shape) == 4 and shape[0] == 1 and min(shape[1:3]) >= MIN_SIDE and shape[3] >= 2:
            return f"one output {list(shape)}: {shape[3]} class scores per pixel ({shape[1]}x{shape[2]})"
        return None

    def decode(self, outputs: list, details: Sequence[Mapping[str, Any]], options: Mapping[str, Any]) -> dict:
        import numpy as np

        out = outputs[0]
        if out.ndim == 4:
            class_map = np.argmax(dequantize(out, details[0])[0], axis=-1)
        else:
            class_map = np.asarray(out[0])
        class_map = np.asarray(class_map, dtype=np.int64)
        ids, counts = np.unique(class_map, return_counts=True)  # any ids, no table sized by the largest
        order = np.lexsort((ids, -counts))  # largest first, then by class id
        total = max(1, class_map.size)
        labels = options.get("labels") or {}
        classes = [{"class": int(ids[i]), "label": labels.get(int(ids[i])),
                    "fraction": round(float(counts[i]) / total, 6)} for i in order]
        low, high = (int(class_map.min()), int(class_map.max())) if class_map.size else (0, 0)
        small = class_map.astype(np.uint8) if 0 <= low and high < 256 else class_map
        return {"kind": self.task, "classes": classes, "_mask": small}


DECODER = Segmentation()
