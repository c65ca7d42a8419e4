"""Model inputs: random data shaped and typed from the interpreter's input details."""

from __future__ import annotations

from typing import Any


def random_inputs(input_details: list[dict[str, Any]], seed: int = 0) -> list[Any]:
    """Seeded random inputs: integers over their whole range, bools, floats uniform in [-1, 1].

    Drawn with Python's ``random`` (already loaded at start-up) rather than ``numpy.random``, whose
    import is ~10 ms of the default coral-run's start-up (a benchmark, see BENCHMARKS.md)."""
    import random

    import numpy as np

    rng = random.Random(seed)
    out = []
    for detail in input_details:
        shape = [int(d) for d in detail["shape"]]
        dtype = np.dtype(detail["dtype"])
        count = int(np.prod(shape, dtype=np.int64))
        if dtype.kind in "iu":
            data = np.frombuffer(rng.randbytes(count * dtype.itemsize), dtype=dtype)
        elif dtype.kind == "b":
            data = np.frombuffer(rng.randbytes(count), dtype=np.uint8) & 1
        else:
            data = np.frombuffer(rng.randbytes(count * 2), dtype=np.uint16) / 32767.5 - 1.0
        out.append(data.astype(dtype).reshape(shape))
    return out
