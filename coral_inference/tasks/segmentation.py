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
        class_map = np.clip(class_map, 0, None).astype(np.int64)
        counts = np.bincount(class_map.reshape(-1))
        total = max(1, class_map.size)
        labels = options.get("labels") or {}
        present = [int(c) for c in np.argsort(-counts, kind="stable") if counts[c] > 0]
        classes = [{"class": c, "label": labels.get(c), "fraction": round(float(counts[c]) / total, 6)}
                   for c in present]
        small = class_map.astype(np.uint8 if class_map.max(initial=0) < 256 else np.uint16)
        return {"kind": self.task, "classes": classes, "_mask": small}


DECODER = Segmentation()
