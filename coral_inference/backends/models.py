"""Model files: resolve model.path / model.cpu_path to bytes, hash them, spot Edge TPU models."""

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
        file = Path(path).expanduser()
        try:
            content = file.read_bytes()
        except FileNotFoundError:
            raise ConfigError(f"{key}: model file not found: {path!r} (expected an existing .tflite file)") from None
        except OSError as exc:
            raise ConfigError(f"{key}: cannot read model file {path!r}: {exc.strerror}") from None
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
