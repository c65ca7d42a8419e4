"""A model's input and output tensors (name, shape, dtype, quantization) read from the .tflite flatbuffer
with ``struct`` alone: what config validation needs to tell a model's task, without importing the ``tflite``
schema package (~170 ms) or an interpreter. ``models.inspect_content`` reads the same with ``tflite``;
tests check that both agree.

FlatBuffers layout used (tensorflow/lite/schema/schema.fbs): Model.subgraphs (field 2); SubGraph.tensors
(0), inputs (1), outputs (2); Tensor.shape (0), type (1), name (3), quantization (4);
QuantizationParameters.scale (2), zero_point (3), quantized_dimension (6).
"""

from __future__ import annotations

import struct
from typing import Any

# TensorType enum values -> numpy-style names.
TYPES = {0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 5: "string", 6: "bool", 7: "int16",
         8: "complex64", 9: "int8", 10: "float64", 11: "complex128", 12: "uint64", 13: "resource",
         14: "variant", 15: "uint32", 16: "uint16", 17: "int4"}


class _Buf:
    def __init__(self, data: bytes):
        self.data = data

    def u32(self, pos: int) -> int:
        return struct.unpack_from("<I", self.data, pos)[0]

    def field(self, table: int, slot: int) -> int | None:
        """Absolute position of field ``slot`` of the table at ``table``, or None when absent."""
        vtable = table - struct.unpack_from("<i", self.data, table)[0]
        size = struct.unpack_from("<H", self.data, vtable)[0]
        if 4 + 2 * slot >= size:
            return None
        off = struct.unpack_from("<H", self.data, vtable + 4 + 2 * slot)[0]
        return table + off if off else None

    def ref(self, table: int, slot: int) -> int | None:
        pos = self.field(table, slot)
        return None if pos is None else pos + self.u32(pos)

    def vector(self, table: int, slot: int, fmt: str) -> list:
        start = self.ref(table, slot)
        if start is None:
            return []
        n = self.u32(start)
        return list(struct.unpack_from(f"<{n}{fmt}", self.data, start + 4))

    def tables(self, table: int, slot: int) -> list[int]:
        start = self.ref(table, slot)
        if start is None:
            return []
        n = self.u32(start)
        return [start + 4 + 4 * i + self.u32(start + 4 + 4 * i) for i in range(n)]

    def string(self, table: int, slot: int) -> str:
        start = self.ref(table, slot)
        if start is None:
            return ""
        return self.data[start + 4: start + 4 + self.u32(start)].decode("utf-8", "replace")

    def scalar(self, table: int, slot: int, fmt: str, default: Any = 0) -> Any:
        pos = self.field(table, slot)
        return default if pos is None else struct.unpack_from("<" + fmt, self.data, pos)[0]


def _tensor(buf: _Buf, tensors: list[int], index: int) -> dict[str, Any]:
    t = tensors[index]
    out: dict[str, Any] = {"name": buf.string(t, 3), "index": index, "shape": buf.vector(t, 0, "i"),
                           "dtype": TYPES.get(buf.scalar(t, 1, "b"), f"type{buf.scalar(t, 1, 'b')}"),
                           "quantization": None}
    quant = buf.ref(t, 4)
    if quant is not None:
        scales = buf.vector(quant, 2, "f")
        zeros = buf.vector(quant, 3, "q") or [0] * len(scales)
        if len(scales) == 1:
            out["quantization"] = {"scale": float(scales[0]), "zero_point": int(zeros[0])}
        elif scales:
            out["quantization"] = {"scale": [float(s) for s in scales], "zero_point": [int(z) for z in zeros],
                                   "axis": int(buf.scalar(quant, 6, "i"))}
    return out


def read_io(content: bytes) -> dict[str, list[dict[str, Any]]]:
    """{"inputs": [...], "outputs": [...]} of the main subgraph. ValueError for a malformed flatbuffer."""
    try:
        buf = _Buf(content)
        model = buf.u32(0)
        subgraphs = buf.tables(model, 2)
        if not subgraphs:
            raise ValueError("no subgraph")
        main = subgraphs[0]
        tensors = buf.tables(main, 0)
        return {"inputs": [_tensor(buf, tensors, i) for i in buf.vector(main, 1, "i")],
                "outputs": [_tensor(buf, tensors, i) for i in buf.vector(main, 2, "i")]}
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed TFLite flatbuffer: {exc}") from None
