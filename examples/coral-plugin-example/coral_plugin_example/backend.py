"""Backend kind ``example_cpu``: coral_inference's CPU backend, with every output checked."""

from __future__ import annotations

from typing import Any

from coral_inference.backends.cpu import CpuBackend
from coral_inference.errors import BackendError
from coral_inference.plugins import settings_for


class CheckedCpuBackend(CpuBackend):
    kind = "example_cpu"

    def initialize(self):
        settings = settings_for(self.context, "example_cpu")  # plugins.config.example_cpu
        self.max_abs_output = settings.get("max_abs_output")
        self.checked = 0
        state = super().initialize()
        state.warnings.append("outputs checked by coral-plugin-example"
                              + (f" (|x| <= {self.max_abs_output})" if self.max_abs_output is not None else ""))
        return state

    def infer(self, inputs: list[Any]) -> list[Any]:
        import numpy as np

        outputs = super().infer(inputs)
        for i, out in enumerate(outputs):
            if not np.all(np.isfinite(out)):
                raise BackendError(f"backends.{self.name}: output {i} holds NaN or inf")
            peak = float(np.max(np.abs(out))) if out.size else 0.0
            if self.max_abs_output is not None and peak > self.max_abs_output:
                raise BackendError(
                    f"backends.{self.name}: output {i} reaches |x| = {peak:.6g} > "
                    f"plugins.config.example_cpu.max_abs_output = {self.max_abs_output}"
                )
        self.checked += 1
        return outputs
