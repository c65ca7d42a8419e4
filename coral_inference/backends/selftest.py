"""The built-in self-test model: a genuine one-op TFLite model built in memory.

``coral-run`` uses it by default (``model.path=builtin:selftest``) so that a fresh machine with no
model file still creates a real interpreter and runs a real inference. The model is a single
FULLY_CONNECTED layer, ``y = x @ W.T + b`` with float32 ``x`` of shape (1, 8) and ``y`` of shape
(1, 4); ``W`` and ``b`` are fixed numbers, so a test can check the output with numpy.

It is written with the plain ``flatbuffers`` builder (a dependency of every TFLite interpreter
wheel) and the field slot numbers of the TFLite schema (tensorflow/lite/schema/schema.fbs), so no
TensorFlow and no schema package is needed at run time. ``tests/backends/test_selftest_model.py`` reads it
back with the independent ``tflite`` schema package.
"""

from __future__ import annotations

import struct

BUILTIN_PREFIX = "builtin:"
SELFTEST = "builtin:selftest"
INPUT_SIZE = 8
OUTPUT_SIZE = 4

DESCRIPTION = "coral_inference self-test: y = x @ W.T + b"
_FULLY_CONNECTED = 9  # BuiltinOperator.FULLY_CONNECTED
_FLOAT32 = 0  # TensorType.FLOAT32


def weights() -> tuple[list[list[float]], list[float]]:
    """W (4x8) and b (4): small exact binary fractions, so float32 arithmetic is exact."""
    w = [[((r * INPUT_SIZE + c) % 7 - 3) / 4.0 for c in range(INPUT_SIZE)] for r in range(OUTPUT_SIZE)]
    b = [0.5, -0.25, 1.0, 0.0]
    return w, b


def _floats(values: list[float]) -> bytes:
    return struct.pack(f"<{len(values)}f", *values)


def _vector(builder, items: list, kind: str) -> int:
    """Build a flatbuffer vector of int32 ('i'), offsets ('o') or bytes ('b')."""
    size = {"i": 4, "o": 4, "b": 1}[kind]
    builder.StartVector(size, len(items), size if kind != "b" else 16)
    for item in reversed(items):
        if kind == "i":
            builder.PrependInt32(item)
        elif kind == "o":
            builder.PrependUOffsetTRelative(item)
        else:
            builder.PrependUint8(item)
    return builder.EndVector()


def _table(builder, slots: list[tuple[str, int, object]]) -> int:
    """A table from (kind, slot, value); kind: 'off' offset, 'i32', 'i8' (byte enum)."""
    builder.StartObject(max(slot for _, slot, _ in slots) + 1)
    for kind, slot, value in slots:
        if kind == "off":
            builder.PrependUOffsetTRelativeSlot(slot, value, 0)
        elif kind == "i32":
            builder.PrependInt32Slot(slot, value, -1)  # -1: never equal, always written
        else:
            builder.PrependInt8Slot(slot, value, -1)
    return builder.EndObject()


def build_selftest_model() -> bytes:
    """The .tflite bytes of the self-test model (deterministic, a few hundred bytes): SELFTEST_BYTES, which
    tests/backends/test_selftest_model.py checks equal to ``build_dense_model(*weights(), description=DESCRIPTION)``.
    Kept as bytes so that the default run neither imports flatbuffers nor builds the model."""
    return SELFTEST_BYTES


SELFTEST_BYTES = bytes.fromhex(
    "0800000054464c337effffff14000000300000001c00000020000000030000000300000078020000dc010000a80100000100"
    "00006400000001000000400000002a000000636f72616c5f696e666572656e63652073656c662d746573743a2079203d2078"
    "204020572e54202b206200000c000e000d000000080004000c000000090000000100000000090e001800140010000c000800"
    "04000e000000400000001000000014000000180000001c000000010000004000000001000000030000000100000000000000"
    "04000000dc000000a000000074000000440000000800000073656c667465737400000a0010000c00080004000a0000000c00"
    "0000100000000000000001000000030000000300000000000000010000000200000080ffffff1c0000000000000000000000"
    "04000000020000000100000004000000060000006f75747075740000acffffff180000000200000000000000040000000100"
    "000004000000040000006269617300000000d4ffffff1c000000010000000000000004000000020000000400000008000000"
    "0700000077656967687473000c00140010000f00080004000c0000001c000000000000000000000004000000020000000100"
    "00000800000005000000696e707574000000d6ffffff04000000100000000000003f000080be0000803f0000000000000000"
    "00000000000000000000060008000400060000000400000080000000000040bf000000bf000080be000000000000803e0000"
    "003f0000403f000040bf000000bf000080be000000000000803e0000003f0000403f000040bf000000bf000080be00000000"
    "0000803e0000003f0000403f000040bf000000bf000080be000000000000803e0000003f0000403f000040bf000000bf0000"
    "80be0000000000000000000000000400040004000000"
)


def build_dense_model(w: list[list[float]], b: list[float], input_name: str = "input", output_name: str = "output",
                      description: str = "dense") -> bytes:
    """A one-op FULLY_CONNECTED model ``y = x @ W.T + b``, x of shape (1, len(W[0])), y of (1, len(W))."""
    import flatbuffers

    rows, cols = len(w), len(w[0])
    builder = flatbuffers.Builder(1024)
    # Buffers: 0 is the conventional empty buffer; 1 holds W, 2 holds b.
    buffers = []
    for data in (b"", _floats([v for row in w for v in row]), _floats(b)):
        slots = []
        if data:
            slots.append(("off", 0, _vector(builder, list(data), "b")))
        if slots:
            buffers.append(_table(builder, slots))
        else:
            builder.StartObject(1)
            buffers.append(builder.EndObject())

    def tensor(name: str, shape: list[int], buffer: int) -> int:
        name_off = builder.CreateString(name)
        shape_off = _vector(builder, shape, "i")
        return _table(
            builder,
            [("off", 0, shape_off), ("i8", 1, _FLOAT32), ("i32", 2, buffer), ("off", 3, name_off)],
        )

    tensors = [
        tensor(input_name, [1, cols], 0),
        tensor("weights", [rows, cols], 1),
        tensor("bias", [rows], 2),
        tensor(output_name, [1, rows], 0),
    ]
    op = _table(
        builder,
        [("i32", 0, 0), ("off", 1, _vector(builder, [0, 1, 2], "i")), ("off", 2, _vector(builder, [3], "i"))],
    )
    graph_name = builder.CreateString("selftest")
    subgraph = _table(
        builder,
        [
            ("off", 0, _vector(builder, tensors, "o")),
            ("off", 1, _vector(builder, [0], "i")),
            ("off", 2, _vector(builder, [3], "i")),
            ("off", 3, _vector(builder, [op], "o")),
            ("off", 4, graph_name),
        ],
    )
    opcode = _table(builder, [("i8", 0, _FULLY_CONNECTED), ("i32", 2, 1), ("i32", 3, _FULLY_CONNECTED)])
    description = builder.CreateString(description)
    model = _table(
        builder,
        [
            ("i32", 0, 3),
            ("off", 1, _vector(builder, [opcode], "o")),
            ("off", 2, _vector(builder, [subgraph], "o")),
            ("off", 3, description),
            ("off", 4, _vector(builder, buffers, "o")),
        ],
    )
    builder.Finish(model, file_identifier=b"TFL3")
    return bytes(builder.Output())


def reference_output(x) -> "object":
    """What the model must compute for input ``x`` (numpy), for tests and the self-check."""
    import numpy as np

    w, b = weights()
    return np.asarray(x, dtype=np.float32) @ np.asarray(w, dtype=np.float32).T + np.asarray(b, np.float32)


def selfcheck(inputs: list, outputs: list) -> dict:
    """The self-test model's first output compared with numpy's ``x @ W.T + b`` for the same input."""
    import numpy as np

    expected = reference_output(inputs[0])
    err = float(np.max(np.abs(np.asarray(outputs[0], dtype=np.float32) - expected)))
    tolerance = 1e-4 * max(1.0, float(np.max(np.abs(expected))))
    return {"passed": bool(err <= tolerance), "max_abs_error": err, "tolerance": tolerance}


def selfcheck_failure(key: str, check: dict, interpreter: dict) -> str:
    """Why a failed self-check fails the backend (the interpreter computes wrong numbers)."""
    runtime = " ".join(str(v) for v in (interpreter.get("module"), interpreter.get("version")) if v) or "the interpreter"
    return (f"{key}: the built-in self-check failed: {runtime} computed the self-test model's output "
            f"{check['max_abs_error']:.6g} away from numpy's x @ W.T + b (allowed {check['tolerance']:.3g}); "
            "expected matching numbers: this TFLite runtime cannot be trusted here (reinstall it, or use a "
            "supported ai-edge-litert / tflite-runtime wheel)")


def inspection() -> dict:
    """What models.inspect_content reads from this model's flatbuffer (tests/backends/test_selftest_model.py checks
    that they agree). The default coral-run then needs no flatbuffer reader: importing the ``tflite``
    schema package (~190 modules) is a start-up cost the built-in model does not need."""

    def tensor(name: str, index: int, size: int) -> dict:
        return {"name": name, "index": index, "shape": [1, size], "dtype": "float32", "quantization": None}

    return {"schema_version": 3, "description": DESCRIPTION, "subgraphs": 1,
            "inputs": [tensor("input", 0, INPUT_SIZE)], "outputs": [tensor("output", 3, OUTPUT_SIZE)],
            "operators": {"FULLY_CONNECTED": 1}, "custom_ops": []}
