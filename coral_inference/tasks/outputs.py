"""Output details in one shape, whoever reported them, and dequantization.

An interpreter reports ``{"name", "shape": ndarray, "dtype": numpy type, "quantization": (scale, zero)}``;
``coral-runtime model inspect`` (backends/models.py) reads ``{"shape": list, "dtype": "uint8",
"quantization": {"scale", "zero_point"} | None}`` from the flatbuffer. Decoders see one form:
``{"name": str, "shape": tuple[int, ...], "dtype": "uint8" | "float32" | ..., "quantization": (scale, zero)}``
(scale 0.0: not quantized), the other keys kept as they were.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence


def _dtype_name(dtype: Any) -> str:
    if isinstance(dtype, str):
        return dtype.lower()
    name = getattr(dtype, "name", None)  # a numpy dtype
    if isinstance(name, str):
        return name
    return str(getattr(dtype, "__name__", dtype))  # a numpy scalar type such as numpy.uint8


def _quantization(detail: Mapping[str, Any]) -> tuple[float, int]:
    q = detail.get("quantization")
    if isinstance(q, Mapping):
        scale, zero = q.get("scale"), q.get("zero_point")
        scale = scale[0] if isinstance(scale, (list, tuple)) and scale else scale
        zero = zero[0] if isinstance(zero, (list, tuple)) and zero else zero
        return float(scale or 0.0), int(zero or 0)
    if isinstance(q, (list, tuple)) and len(q) == 2:
        return float(q[0] or 0.0), int(q[1] or 0)
    return 0.0, 0


def normalize(details: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The details in the one form above (a new list; the input is not changed)."""
    out = []
    for i, d in enumerate(details):
        out.append({**d, "name": str(d.get("name") or f"output_{i}"),
                    "shape": tuple(int(x) for x in d.get("shape", ())),
                    "dtype": _dtype_name(d.get("dtype", "float32")), "quantization": _quantization(d)})
    return out


def signature(details: Sequence[Mapping[str, Any]]) -> str:
    """Outputs as people read them: ``[1, 1001] uint8; [1, 4] float32``."""
    return "; ".join(f"{list(d['shape'])} {d['dtype']}" for d in details) or "no outputs"


def is_integer(detail: Mapping[str, Any]) -> bool:
    return detail["dtype"].startswith(("int", "uint"))


def dequantize(array: Any, detail: Mapping[str, Any]) -> Any:
    """float32 values: ``(q - zero_point) * scale`` for quantized integers, else the values as float32."""
    import numpy as np

    scale, zero = detail.get("quantization", (0.0, 0))
    if scale and np.issubdtype(array.dtype, np.integer):
        return (array.astype(np.float32) - np.float32(zero)) * np.float32(scale)
    return np.asarray(array, dtype=np.float32)
