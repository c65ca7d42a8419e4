"""`coral-runtime config validate` against its floor, a bare Hydra compose of the same conf/ YAML tree that
imports nothing of ours (bench/hydra_floor.py --compose on a copy of the tree's conf/ without our schema
node, plugin-defaults node and callbacks: bench/floor_conf.py); old and new trees in one run.

    python bench/config_validate.py [--repeat 20] [--tree old=/tmp/old-venv/bin/python --tree new=python]

Fresh processes, every command once per round (interleaved), after two warm-up rounds; medians of wall
time and of CPU time (user+sys of the child, much less disturbed by other load than wall time).
Target: ratio <= 1.10.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from childproc import measure_interleaved
from floor_conf import make_floor_conf, tree_conf
from startup import ENV, imports_of_ours, trees

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--tree", action="append", default=[], metavar="NAME=PYTHON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        commands = {}
        for name, python in trees(args.tree).items():
            conf = make_floor_conf(tree_conf(python), Path(tmp, f"conf-{name}"))
            commands[f"{name}: config validate"] = [str(Path(python).parent / "coral-runtime"), "config", "validate"]
            commands[f"{name}: compose floor"] = [sys.executable, str(HERE / "hydra_floor.py"), "--compose", str(conf)]
            ours = imports_of_ours(commands[f"{name}: compose floor"], tmp)
            if ours:
                raise SystemExit(f"the floor imports our modules: {ours}")
        results = measure_interleaved(commands, tmp, ENV, args.repeat, warm=2)
    print("load average (1/5/15 min) at the end: %.2f %.2f %.2f on %d CPUs" % (*os.getloadavg(), os.cpu_count()))
    for tree in trees(args.tree):
        ours, floor = results[f"{tree}: config validate"], results[f"{tree}: compose floor"]
        for i, what in ((0, "wall"), (2, "CPU ")):
            mo, mb = statistics.median(t[i] for t in ours), statistics.median(t[i] for t in floor)
            print(f"[{tree}] {what}: config validate median {mo * 1000:.0f} ms, compose floor median {mb * 1000:.0f} ms, "
                  f"ratio {mo / mb:.3f} (target <= 1.10), n={args.repeat}")


if __name__ == "__main__":
    main()
