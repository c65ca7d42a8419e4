"""Model inputs shaped and typed from the interpreter's input details: random data (init, bench), and
frames converted to the model input (``to_input``: streams and bench's run.images).

``to_input`` for an NHWC image input: BGR -> RGB (or grey for C=1), resized with INTER_LINEAR; uint8 gets
the pixels as they are (the Coral convention: quantized image models take raw 0-255 pixels), int8 gets
pixel - 128, float gets (pixel - 127.5) / 127.5. A vector input [1, K] (e.g. builtin:selftest) gets the
frame as K grey values, scaled the same way."""

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


def to_input(frame: Any, detail: dict[str, Any]) -> Any:
    """A BGR frame (numpy HxWx3 uint8) as the model input ``detail`` describes."""
    import cv2
    import numpy as np

    shape = [int(d) for d in detail["shape"]]
    dtype = np.dtype(detail["dtype"])
    if len(shape) == 4:
        height, width, channels = shape[1], shape[2], shape[3]
        code = cv2.COLOR_BGR2GRAY if channels == 1 else cv2.COLOR_BGR2RGB
        image = cv2.resize(cv2.cvtColor(frame, code), (width, height), interpolation=cv2.INTER_LINEAR)
        image = image.reshape(height, width, channels)
    else:
        size = int(np.prod(shape[1:]))
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        image = cv2.resize(grey, (size, 1), interpolation=cv2.INTER_LINEAR)
    if dtype == np.uint8:
        data = image if image.dtype == np.uint8 else image.astype(np.uint8)
    elif dtype == np.int8:
        data = (image.astype(np.int16) - 128).astype(np.int8)
    else:
        data = ((image.astype(np.float32) - 127.5) / 127.5).astype(dtype)
    return data.reshape(shape)
