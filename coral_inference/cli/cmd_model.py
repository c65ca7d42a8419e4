"""coral-runtime model inspect PATH [--json]: what a .tflite model holds, without running it.

Inputs and outputs (name, shape, dtype, quantization), operators with counts, custom ops, size, sha256,
whether it is compiled for the Edge TPU (holds edgetpu-custom-op), and the task its outputs give
(``task=auto``, or ``--task`` checked against the outputs) with the reason. Exit 2 for a missing or
non-TFLite file, or a --task that contradicts the outputs.

Several paths are the segments of one model (``model.segments``, in order): each segment is shown, the
model's inputs are the first segment's, its outputs and task the last segment's, and each segment's
outputs must feed the next one's inputs (by tensor name, else by position; exit 2 naming the segment).
"""

from __future__ import annotations

import json
import sys

from ..errors import CoralError


def register(sub) -> None:
    parser = sub.add_parser("model", help="model tools")
    model_sub = parser.add_subparsers(dest="model_command", metavar="SUBCOMMAND", required=True)
    inspect = model_sub.add_parser("inspect", help="inputs/outputs, operators, size, sha256, Edge TPU or not")
    inspect.add_argument("path", nargs="+", help="a .tflite file (or builtin:selftest); several: the segments of one "
                         "model in order (edgetpu_compiler --num_segments=N)")
    inspect.add_argument("--json", action="store_true", help="one JSON document on stdout")
    inspect.add_argument("--task", default="auto", help="the task to check against the outputs (default: auto)")
    inspect.set_defaults(func=run_inspect)


def _io_line(t: dict) -> str:
    q = t.get("quantization")
    quant = f", scale {q['scale']}, zero_point {q['zero_point']}" if q else ""
    return f"    {t['name']}: {t['dtype']} {t['shape']}{quant}"


def _lines(info: dict) -> list[str]:
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
    return lines


def _task(task: str, outputs: list) -> dict:
    from ..plugins.registry import new_registry
    from ..tasks.decode import prepare_decoder

    return prepare_decoder(task, outputs, {}, {}, new_registry(), key="--task").describe()


def _inspect_one(path: str, key: str) -> dict:
    from ..backends.models import load_model
    from ..errors import ConfigError

    model = load_model(path, key)
    try:
        return model.inspect()
    except Exception as exc:  # a corrupt flatbuffer behind a valid header
        raise ConfigError(f"{key}: cannot read the TFLite flatbuffer of {path!r}: {exc}") from None


def _segmented(paths: list[str]) -> dict:
    """One model of several segments: the first's inputs, the last's outputs, each link checked."""
    from types import SimpleNamespace

    from ..backends.segments import link
    from ..errors import ConfigError

    parts = [_inspect_one(p, f"PATH[{i}]") for i, p in enumerate(paths)]
    views = [SimpleNamespace(input_details=p["inputs"], output_details=p["outputs"]) for p in parts]
    for i, (a, b) in enumerate(zip(views, views[1:])):
        try:
            link(a, b, i)
        except ValueError as exc:
            raise ConfigError(f"PATH[{i + 1}]: {exc}") from None
    return {"path": ", ".join(paths), "segments": parts, "inputs": parts[0]["inputs"], "outputs": parts[-1]["outputs"],
            "edgetpu_compiled": all(p["edgetpu_compiled"] for p in parts)}


def run_inspect(args) -> int:
    paths = list(args.path)
    try:
        info = _inspect_one(paths[0], "PATH") if len(paths) == 1 else _segmented(paths)
        info["task"] = _task(args.task, info["outputs"])
    except CoralError as exc:
        print(f"coral-runtime model inspect: error: {exc.render()}", file=sys.stderr)
        return exc.exit_code
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    lines = _lines(info) if "segments" not in info else [f"{info['path']}"] + [
        line for i, part in enumerate(info["segments"])
        for line in [f"  segment {i} of {len(info['segments'])}: {part['path']}"] + ["  " + x for x in _lines(part)[1:]]]
    if "segments" in info:
        lines += ["  model inputs (segment 0):", *[_io_line(t) for t in info["inputs"]],
                  f"  model outputs (segment {len(info['segments']) - 1}):", *[_io_line(t) for t in info["outputs"]]]
    task = info["task"]
    lines.append(f"  task ({args.task}): {task['task']}: {task['reason'].removeprefix('auto: ')}")
    if task["warning"]:
        print(f"coral-runtime model inspect: warning: {task['warning']}", file=sys.stderr)
    print("\n".join(lines))
    return 0
