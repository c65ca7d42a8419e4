"""coral-runtime audit verify RUN_DIR [--json]: recompute config_sha256 and model hashes.

Exit 0 when everything still present matches, 5 when the config or a file (a model, CPU twin, labels,
segment of any backends entry) changed or a file the summary names is not one the recorded config names, 2 when the
run directory holds no readable summary. Missing model files are reported (and fail with
--require-models)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import EXIT_MISMATCH, CoralError


def register(sub) -> None:
    audit = sub.add_parser("audit", help="check a run directory against its summary")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    p = audit_sub.add_parser("verify", help="recompute config_sha256 and model sha256s of RUN_DIR")
    p.add_argument("run_dir", metavar="RUN_DIR", type=Path)
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.add_argument("--require-models", action="store_true", help="a missing model file fails the audit")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..audit import verify

    try:
        report = verify(args.run_dir)
    except CoralError as exc:
        if args.json:
            print(json.dumps({"ok": False, "error": exc.to_dict()}))
        print(f"coral-runtime: error: {exc.render()}", file=sys.stderr)
        return exc.exit_code
    failed = not report["ok"] or (args.require_models and report["missing"])
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        c = report["config"]
        print(f"config: {c['status']} (sha256 {str(c.get('recorded'))[:16]}…)")
        for m in report["models"]:
            who = f" [{m['key']}; {', '.join(m.get('backends') or [])}]" if m.get("key") else ""
            print(f"model {m['path']}{who}: {m['status']}" + (f" ({m['detail']})" if m.get("detail") else ""))
        for key, d in report.get("services", {}).items():  # recorded, not recomputed
            print(f"service {key} ({d.get('broker') or d.get('target')}): {d.get('delivered')} delivered, "
                  f"{d.get('dropped')} dropped (as recorded)")
        for name, s in report.get("streams", {}).items():
            taken = ", ".join(f"{sink} {d.get('written')} written" + (f" {d['failed']} failed" if d.get("failed") else "")
                              for sink, d in s["sinks"].items() if d.get("written") is not None)
            lines = s.get("results_lines")
            print(f"stream {name}: sinks {taken or '(none recorded)'}" + (
                f"; results.jsonl lines {lines['actual']} of {lines['recorded']} recorded: {lines['status']}"
                if lines else ""))
        print("audit: " + ("MISMATCH" if failed else "ok"))
    return EXIT_MISMATCH if failed else 0
