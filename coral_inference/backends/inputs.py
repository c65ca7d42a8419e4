"""Model inputs: random data shaped and typed from the interpreter's input details."""

from __future__ import annotations

from typing import Any


def random_inputs(input_details: list[dict[str, Any]], seed: int = 0) -> list[Any]:
    import numpy as np

    rng = np.random.default_rng(seed)
    out = []
    for detail in input_details:
        shape = [int(d) for d in detail["shape"]]
        dtype = np.dtype(detail["dtype"])
        if dtype.kind in "iu":
            info = np.iinfo(dtype)
            out.append(rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype))
        elif dtype.kind == "b":
            out.append(rng.integers(0, 2, size=shape).astype(dtype))
        else:
            out.append(rng.standard_normal(size=shape).astype(dtype))
    return out
