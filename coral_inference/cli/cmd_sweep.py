"""coral-runtime sweep report DIR [--plot FILE.png] [--json]: rebuild a sweep's report.

Reads every job folder of a multirun's sweep directory, writes sweep_summary.{json,csv,md} there
(jobs without a summary are failed rows), optionally draws a throughput/latency bar chart.
Exit codes: 0 written; 2 DIR is not a folder, holds no job folders or cannot be written, or --plot
without matplotlib or to a path that cannot be written (the reports are still written).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import EXIT_CONFIG, EXIT_OK, CoralError


def register(sub: argparse._SubParsersAction) -> None:
    sweep = sub.add_parser("sweep", help="multirun sweeps: rebuild the sweep report")
    actions = sweep.add_subparsers(dest="sweep_command", metavar="ACTION")
    report = actions.add_parser("report", help="write sweep_summary.{json,csv,md} from a sweep's job summaries")
    report.add_argument("dir", metavar="DIR", help="the sweep directory (multirun/<date>/<time>)")
    report.add_argument("--plot", metavar="FILE.png", help="also draw throughput/latency per job (needs matplotlib)")
    report.add_argument("--json", action="store_true", help="print the report as one JSON document")
    report.set_defaults(func=cmd_report)
    sweep.set_defaults(func=lambda args: (sweep.print_help(), 2)[1])


def cmd_report(args: argparse.Namespace) -> int:
    from ..sweep.report import job_dirs, to_markdown, write_reports

    sweep_dir = Path(args.dir)
    expected = "expected a multirun sweep directory such as multirun/<date>/<time>"
    if not sweep_dir.is_dir():
        print(f"coral-runtime sweep report: DIR {args.dir!r} is not a folder ({expected})", file=sys.stderr)
        return EXIT_CONFIG
    if not job_dirs(sweep_dir):
        print(f"coral-runtime sweep report: DIR {args.dir!r} holds no job folders (looked for 0, 1, ... or folders "
              f"with .hydra/ or runtime_summary.json); nothing written ({expected})", file=sys.stderr)
        return EXIT_CONFIG
    try:
        report = write_reports(sweep_dir)
    except CoralError as exc:  # a job summary or Hydra record that is not what it should be (names file, field)
        writing = getattr(exc, "what", None) == "sweep report"
        print(f"coral-runtime sweep report: {'cannot write the report: ' if writing else ''}{exc.render()}; "
              "nothing written", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        print(f"coral-runtime sweep report: cannot write the report in {args.dir!r}: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    code = EXIT_OK
    if args.plot:
        from ..sweep.plot import PlotUnavailable, plot_report

        try:
            report["files"]["plot"] = str(plot_report(report, Path(args.plot)))
        except PlotUnavailable as exc:
            print(f"coral-runtime sweep report: --plot: {exc}", file=sys.stderr)
            code = EXIT_CONFIG
        except CoralError as exc:  # a link (or folder) at --plot: refused, never written through
            print(f"coral-runtime sweep report: {exc.render()} (the reports are written)", file=sys.stderr)
            code = exc.exit_code
        except OSError as exc:
            print(f"coral-runtime sweep report: --plot: cannot write {args.plot!r}: {exc} (the reports are written)",
                  file=sys.stderr)
            code = EXIT_CONFIG
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        print(to_markdown(report), end="")
        for kind, path in report["files"].items():
            print(f"{kind}: {path}")
    return code
