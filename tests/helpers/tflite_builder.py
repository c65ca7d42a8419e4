"""Tiny real .tflite models built with the ``tflite`` schema package (flatbuffers builder), for tests:
a generic ``build_model`` and the SSD detection model of tests/tasks/test_real_models.py."""

from __future__ import annotations

import numpy as np

TYPES = {"float32": 0, "int32": 2, "uint8": 3, "int64": 4, "int8": 9}


def _bytes(builder, data: bytes) -> int:
    builder.StartVector(1, len(data), 16)
    builder.head = builder.head - len(data)
    builder.Bytes[builder.head:builder.head + len(data)] = data
    return builder.EndVector()


def _ints(builder, start, values) -> int:
    start(builder, len(values))
    for v in reversed(values):
        builder.PrependInt32(v)
    return builder.EndVector()


def _offsets(builder, start, values) -> int:
    start(builder, len(values))
    for v in reversed(values):
        builder.PrependUOffsetTRelative(v)
    return builder.EndVector()


def build_model(tensors: list[dict], inputs: list[int], outputs: list[int], operators: list[dict],
                description: str = "test model") -> bytes:
    """tensors: {name, shape, dtype, data (numpy or None)}; operators: {op: builtin code (int) or custom
    name (str), inputs, outputs, custom_options (bytes)}."""
    import flatbuffers
    import tflite as t

    b = flatbuffers.Builder(4096)
    # Buffers: 0 empty, then one per constant tensor.
    datas = [np.ascontiguousarray(x["data"]).tobytes() for x in tensors if x.get("data") is not None]
    buffers = []
    for data in [b""] + datas:
        vec = _bytes(b, data) if data else None
        t.BufferStart(b)
        if vec is not None:
            t.BufferAddData(b, vec)
        buffers.append(t.BufferEnd(b))
    tensor_offs, next_buffer = [], 1
    for x in tensors:
        name = b.CreateString(x["name"])
        shape = _ints(b, t.TensorStartShapeVector, list(x["shape"]))
        t.TensorStart(b)
        t.TensorAddShape(b, shape)
        t.TensorAddType(b, TYPES[x.get("dtype", "float32")])
        t.TensorAddName(b, name)
        if x.get("data") is not None:
            t.TensorAddBuffer(b, next_buffer)
            next_buffer += 1
        else:
            t.TensorAddBuffer(b, 0)
        tensor_offs.append(t.TensorEnd(b))
    codes, code_offs = [], []
    for op in operators:
        if op["op"] not in codes:
            codes.append(op["op"])
    for code in codes:
        custom = b.CreateString(code) if isinstance(code, str) else None
        t.OperatorCodeStart(b)
        builtin = t.BuiltinOperator.CUSTOM if isinstance(code, str) else code
        t.OperatorCodeAddBuiltinCode(b, builtin)
        t.OperatorCodeAddDeprecatedBuiltinCode(b, min(builtin, 127))
        t.OperatorCodeAddVersion(b, 1)
        if custom is not None:
            t.OperatorCodeAddCustomCode(b, custom)
        code_offs.append(t.OperatorCodeEnd(b))
    op_offs = []
    for op in operators:
        ins = _ints(b, t.OperatorStartInputsVector, op["inputs"])
        outs = _ints(b, t.OperatorStartOutputsVector, op["outputs"])
        custom = _bytes(b, op["custom_options"]) if op.get("custom_options") else None
        t.OperatorStart(b)
        t.OperatorAddOpcodeIndex(b, codes.index(op["op"]))
        t.OperatorAddInputs(b, ins)
        t.OperatorAddOutputs(b, outs)
        if custom is not None:
            t.OperatorAddCustomOptions(b, custom)
            t.OperatorAddCustomOptionsFormat(b, t.CustomOptionsFormat.FLEXBUFFERS)
        op_offs.append(t.OperatorEnd(b))
    tensors_vec = _offsets(b, t.SubGraphStartTensorsVector, tensor_offs)
    inputs_vec = _ints(b, t.SubGraphStartInputsVector, inputs)
    outputs_vec = _ints(b, t.SubGraphStartOutputsVector, outputs)
    ops_vec = _offsets(b, t.SubGraphStartOperatorsVector, op_offs)
    name = b.CreateString("main")
    t.SubGraphStart(b)
    t.SubGraphAddTensors(b, tensors_vec)
    t.SubGraphAddInputs(b, inputs_vec)
    t.SubGraphAddOutputs(b, outputs_vec)
    t.SubGraphAddOperators(b, ops_vec)
    t.SubGraphAddName(b, name)
    subgraph = t.SubGraphEnd(b)
    codes_vec = _offsets(b, t.ModelStartOperatorCodesVector, code_offs)
    subgraphs_vec = _offsets(b, t.ModelStartSubgraphsVector, [subgraph])
    buffers_vec = _offsets(b, t.ModelStartBuffersVector, buffers)
    desc = b.CreateString(description)
    t.ModelStart(b)
    t.ModelAddVersion(b, 3)
    t.ModelAddOperatorCodes(b, codes_vec)
    t.ModelAddSubgraphs(b, subgraphs_vec)
    t.ModelAddDescription(b, desc)
    t.ModelAddBuffers(b, buffers_vec)
    b.Finish(t.ModelEnd(b), file_identifier=b"TFL3")
    return bytes(b.Output())


# --- SSD: image [1, 4, 4, 3] float -> RESHAPE -> box encodings [1, 12, 4] -> TFLite_Detection_PostProcess ---
ANCHORS = 12
NUM_CLASSES = 3
MAX_DETECTIONS = 5
# (anchor index, class, score): the objects the model "sees"; every other anchor scores 0.01.
OBJECTS = [(2, 0, 0.9), (5, 2, 0.8), (9, 1, 0.7)]


def anchors() -> np.ndarray:
    """[12, 4] ycenter, xcenter, h, w: a 3 x 4 grid of boxes 0.2 high, 0.15 wide."""
    rows = [(0.2 + 0.3 * (i // 4), 0.15 + 0.23 * (i % 4), 0.2, 0.15) for i in range(ANCHORS)]
    return np.asarray(rows, dtype=np.float32)


def expected_boxes() -> list[tuple[int, float, list[float]]]:
    """(class, score, [xmin, ymin, xmax, ymax]) of OBJECTS with zero box encodings, highest score first."""
    out = []
    for index, cls, score in OBJECTS:
        y, x, h, w = anchors()[index]
        out.append((cls, score, [x - w / 2, y - h / 2, x + w / 2, y + h / 2]))
    return out


def ssd_model(order: str = "tf1", names: bool = True) -> bytes:
    """The SSD model; ``order``: tf1 (boxes, classes, scores, count) or tf2 (scores, boxes, count, classes,
    as EfficientDet-Lite); ``names``: the exporters' tensor names, else anonymous ones (out_0 …)."""
    from flatbuffers import flexbuffers

    scores = np.full((1, ANCHORS, NUM_CLASSES + 1), 0.01, dtype=np.float32)
    for index, cls, score in OBJECTS:
        scores[0, index, cls + 1] = score
    options = flexbuffers.Dumps({
        "max_detections": MAX_DETECTIONS, "max_classes_per_detection": 1, "detections_per_class": 100,
        "use_regular_nms": False, "nms_score_threshold": 0.3, "nms_iou_threshold": 0.6,
        "num_classes": NUM_CLASSES, "y_scale": 10.0, "x_scale": 10.0, "h_scale": 5.0, "w_scale": 5.0})
    tf1_names = ["TFLite_Detection_PostProcess", "TFLite_Detection_PostProcess:1",
                 "TFLite_Detection_PostProcess:2", "TFLite_Detection_PostProcess:3"]
    tf2_names = ["StatefulPartitionedCall:3", "StatefulPartitionedCall:2", "StatefulPartitionedCall:1",
                 "StatefulPartitionedCall:0"]  # the op's boxes, classes, scores, count
    out_names = (tf1_names if order == "tf1" else tf2_names) if names else [f"out_{i}" for i in range(4)]
    tensors = [
        {"name": "image", "shape": [1, 4, 4, 3]},
        {"name": "shape", "shape": [3], "dtype": "int32", "data": np.asarray([1, ANCHORS, 4], np.int32)},
        {"name": "box_encodings", "shape": [1, ANCHORS, 4]},
        {"name": "class_predictions", "shape": [1, ANCHORS, NUM_CLASSES + 1], "data": scores},
        {"name": "anchors", "shape": [ANCHORS, 4], "data": anchors()},
        {"name": out_names[0], "shape": [1, MAX_DETECTIONS, 4]},
        {"name": out_names[1], "shape": [1, MAX_DETECTIONS]},
        {"name": out_names[2], "shape": [1, MAX_DETECTIONS]},
        {"name": out_names[3], "shape": [1]},
    ]
    operators = [{"op": 22, "inputs": [0, 1], "outputs": [2]},  # RESHAPE
                 {"op": "TFLite_Detection_PostProcess", "inputs": [2, 3, 4], "outputs": [5, 6, 7, 8],
                  "custom_options": options}]
    outputs = [5, 6, 7, 8] if order == "tf1" else [7, 5, 8, 6]
    return build_model(tensors, [0], outputs, operators, description=f"ssd test model ({order})")
