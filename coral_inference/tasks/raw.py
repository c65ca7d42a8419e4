"""raw: what a model gives when no task is known: per output its name, shape, dtype and summary
statistics of the (dequantized) values. Never a label, never a class. Matches every model.

Result: ``{"kind": "raw", "outputs": [{"name", "shape", "dtype", "min", "max", "mean"}]}``.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from .outputs import dequantize


class Raw:
    task = "raw"

    def match(self, details: Sequence[Mapping[str, Any]]) -> str | None:
        return f"{len(details)} output(s), reported as they are"

    def decode(self, outputs: list, details: Sequence[Mapping[str, Any]], options: Mapping[str, Any]) -> dict:
        import numpy as np

        described = []
        for out, d in zip(outputs, details):
            values = dequantize(np.asarray(out), d)
            finite = values[np.isfinite(values)]

            def stat(fn):
                return round(float(fn(finite)), 6) if finite.size else None

            described.append({"name": d["name"], "shape": [int(x) for x in np.shape(out)], "dtype": str(out.dtype),
                              "min": stat(np.min), "max": stat(np.max), "mean": stat(np.mean)})
        return {"kind": self.task, "outputs": described}


DECODER = Raw()
