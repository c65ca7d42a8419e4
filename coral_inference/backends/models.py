"""Model files: resolve model.path / model.cpu_path to bytes, hash them, spot Edge TPU models, and
describe them (inputs/outputs, operators) from the flatbuffer alone, without running them.

Reading uses the ``tflite`` package (generated FlatBuffers readers of the TFLite schema), imported only
inside ``inspect_content``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .selftest import BUILTIN_PREFIX, SELFTEST, build_selftest_model

EDGETPU_CUSTOM_OP = b"edgetpu-custom-op"
TFLITE_IDENTIFIER = b"TFL3"


@dataclass(frozen=True)
class ModelRef:
    path: str  # as configured (a file path or builtin:selftest)
    content: bytes
    sha256: str
    edgetpu_compiled: bool

    @property
    def builtin(self) -> bool:
        return self.path.startswith(BUILTIN_PREFIX)

    def describe(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "size": len(self.content),
            "edgetpu_compiled": self.edgetpu_compiled,
        }

    def inspect(self) -> dict[str, Any]:
        """describe() plus inputs, outputs and operators read from the flatbuffer."""
        if self.path == SELFTEST:  # known without reading (and importing tflite): see selftest.inspection
            from .selftest import inspection

            return {**self.describe(), **inspection()}
        return {**self.describe(), **inspect_content(self.content)}


def is_tflite(content: bytes) -> bool:
    """A TFLite flatbuffer carries the file identifier TFL3 at bytes 4..8."""
    return len(content) >= 8 and content[4:8] == TFLITE_IDENTIFIER


def load_model(path: str, key: str = "model.path") -> ModelRef:
    """Read a model (or build the built-in one); a missing or non-TFLite file is a ConfigError."""
    if path.startswith(BUILTIN_PREFIX):
        if path != SELFTEST:
            raise ConfigError(f"{key}: unknown built-in model {path!r}; expected {SELFTEST}")
        content = build_selftest_model()
    else:
        from ..files import FileProblem, read_bytes_checked

        try:  # a regular file (a FIFO or /dev/zero is refused at once) of at most LIMITS["model"]
            content = read_bytes_checked(path, "model file", "model", key=key,
                                         expected="an existing .tflite file of at most 512 MiB")
        except FileProblem as exc:
            if exc.reason == "not found":
                raise ConfigError(f"{key}: model file not found: {path!r} (expected an existing .tflite file)") from None
            raise
        if not is_tflite(content):
            raise ConfigError(
                f"{key}: {path!r} is not a TFLite model ({len(content)} bytes, no TFL3 identifier); "
                "expected a .tflite flatbuffer"
            )
    return ModelRef(
        path=path,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        edgetpu_compiled=EDGETPU_CUSTOM_OP in content,
    )


_TYPE_NAMES: dict[int, str] = {}


def _type_name(code: int) -> str:
    if not _TYPE_NAMES:
        import tflite

        _TYPE_NAMES.update({v: k.lower() for k, v in vars(tflite.TensorType).items() if not k.startswith("_")})
    return _TYPE_NAMES.get(code, f"type{code}")


def _tensor(subgraph: Any, index: int) -> dict[str, Any]:
    tensor = subgraph.Tensors(index)
    shape = [int(d) for d in tensor.ShapeAsNumpy()] if tensor.ShapeLength() else []
    out: dict[str, Any] = {"name": (tensor.Name() or b"").decode("utf-8", "replace"), "index": index,
                           "shape": shape, "dtype": _type_name(tensor.Type()), "quantization": None}
    quant = tensor.Quantization()
    if quant is not None and quant.ScaleLength():
        scales = [float(v) for v in quant.ScaleAsNumpy()]
        zeros = [int(v) for v in quant.ZeroPointAsNumpy()] if quant.ZeroPointLength() else [0] * len(scales)
        out["quantization"] = (
            {"scale": scales[0], "zero_point": zeros[0]} if len(scales) == 1
            else {"scale": scales, "zero_point": zeros, "axis": int(quant.QuantizedDimension())}
        )
    return out


def _operator_names(model: Any) -> list[str]:
    import tflite

    names = []
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        builtin = max(int(code.BuiltinCode()), int(code.DeprecatedBuiltinCode()))
        custom = code.CustomCode()
        if custom:
            names.append(custom.decode("utf-8", "replace"))
        else:
            names.append(tflite.BUILTIN_OPCODE2NAME.get(builtin, f"BUILTIN_{builtin}"))
    return names


def inspect_content(content: bytes) -> dict[str, Any]:
    """Inputs/outputs (name, shape, dtype, quantization) of the main subgraph, the operator list (with a
    count per operator over all subgraphs) and the custom ops, read without creating an interpreter."""
    import tflite

    model = tflite.Model.GetRootAsModel(content, 0)
    codes = _operator_names(model)
    counts: dict[str, int] = {}
    for g in range(model.SubgraphsLength()):
        subgraph = model.Subgraphs(g)
        for o in range(subgraph.OperatorsLength()):
            name = codes[subgraph.Operators(o).OpcodeIndex()]
            counts[name] = counts.get(name, 0) + 1
    main = model.Subgraphs(0)
    builtin_names = set(tflite.BUILTIN_OPCODE2NAME.values())
    return {
        "schema_version": int(model.Version()),
        "description": (model.Description() or b"").decode("utf-8", "replace"),
        "subgraphs": int(model.SubgraphsLength()),
        "inputs": [_tensor(main, int(main.Inputs(i))) for i in range(main.InputsLength())],
        "outputs": [_tensor(main, int(main.Outputs(i))) for i in range(main.OutputsLength())],
        "operators": counts,
        "custom_ops": sorted({c for c in codes if c not in builtin_names}),
    }
