"""coral-runtime model inspect PATH [--json]: what a .tflite model holds, without running it.

Inputs and outputs (name, shape, dtype, quantization), operators with counts, custom ops, size, sha256,
whether it is compiled for the Edge TPU (holds edgetpu-custom-op), and the task its outputs give
(``task=auto``, or ``--task`` checked against the outputs) with the reason. Exit 2 for a missing or
non-TFLite file, or a --task that contradicts the outputs.
"""

from __future__ import annotations

import json
import sys

from ..errors import CoralError


def register(sub) -> None:
    parser = sub.add_parser("model", help="model tools")
    model_sub = parser.add_subparsers(dest="model_command", metavar="SUBCOMMAND", required=True)
    inspect = model_sub.add_parser("inspect", help="inputs/outputs, operators, size, sha256, Edge TPU or not")
    inspect.add_argument("path", help="a .tflite file (or builtin:selftest)")
    inspect.add_argument("--json", action="store_true", help="one JSON document on stdout")
    inspect.add_argument("--task", default="auto", help="the task to check against the outputs (default: auto)")
    inspect.set_defaults(func=run_inspect)


def _io_line(t: dict) -> str:
    q = t.get("quantization")
    quant = f", scale {q['scale']}, zero_point {q['zero_point']}" if q else ""
    return f"    {t['name']}: {t['dtype']} {t['shape']}{quant}"


def _task(task: str, outputs: list) -> dict:
    from ..plugins.registry import new_registry
    from ..tasks.decode import prepare_decoder

    return prepare_decoder(task, outputs, {}, {}, new_registry(), key="--task").describe()


def run_inspect(args) -> int:
    from ..backends.models import load_model
    from ..errors import ConfigError

    try:
        model = load_model(args.path, "PATH")
        try:
            info = model.inspect()
        except Exception as exc:  # a corrupt flatbuffer behind a valid header
            raise ConfigError(f"PATH: cannot read the TFLite flatbuffer of {args.path!r}: {exc}") from None
        info["task"] = _task(args.task, info["outputs"])
    except CoralError as exc:
        print(f"coral-runtime model inspect: error: {exc.render()}", file=sys.stderr)
        return exc.exit_code
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    lines = [
        f"{info['path']}",
        f"  size {info['size']} bytes, sha256 {info['sha256']}",
        f"  Edge TPU compiled: {'yes (edgetpu-custom-op)' if info['edgetpu_compiled'] else 'no'}",
        "  inputs:", *[_io_line(t) for t in info["inputs"]],
        "  outputs:", *[_io_line(t) for t in info["outputs"]],
        "  operators: " + ", ".join(f"{name} x{n}" for name, n in info["operators"].items()),
    ]
    if info["custom_ops"]:
        lines.append("  custom ops: " + ", ".join(info["custom_ops"]))
    task = info["task"]
    lines.append(f"  task ({args.task}): {task['task']}: {task['reason'].removeprefix('auto: ')}")
    if task["warning"]:
        print(f"coral-runtime model inspect: warning: {task['warning']}", file=sys.stderr)
    print("\n".join(lines))
    return 0
