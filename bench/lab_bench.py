"""Time `labkit run` on the simulator against its floor: as many trivial notebooks through papermill.

    .venv/bin/python bench/lab_bench.py [--json]

The floor is what any papermill run of six notebooks costs (kernel start-up and shutdown); the ratio shows what the
lab adds on top of it. Target: within 1.5x of the floor. Kernel shutdown now and then stalls for about 3 s, so each
side is run several times and compared by per-notebook medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labkit.runner import LESSONS, run_lab  # noqa: E402
from labkit.sim import service  # noqa: E402


def floor_seconds(workdir: Path) -> list[float]:
    """Seconds each of len(LESSONS) trivial notebooks takes through papermill, run like the lessons."""
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    notebook.cells = [nbformat.v4.new_code_cell('backend = "sim"', metadata={"tags": ["parameters"]}), nbformat.v4.new_code_cell("1 + 1")]
    source = workdir / "trivial.ipynb"
    nbformat.write(notebook, source)
    papermill.execute_notebook(str(source), str(workdir / "warm-up.ipynb"), progress_bar=False, kernel_name="python3")
    times = []  # timed after one warm-up run, so neither side pays for papermill's first import
    for index in range(len(LESSONS)):
        started = time.monotonic()
        papermill.execute_notebook(str(source), str(workdir / f"trivial-{index}.ipynb"), parameters={"backend": "sim"},
                                   progress_bar=False, kernel_name="python3")
        times.append(time.monotonic() - started)
    return times


def lab_seconds(workdir: Path) -> tuple[float, dict]:
    os.environ["LABKIT_STATE_DIR"] = str(workdir / "sim-state")
    try:
        started = time.monotonic()
        summary = run_lab({}, out_dir=workdir / "run", say=lambda _: None)
        return time.monotonic() - started, summary
    finally:
        service.stop(workdir / "sim-state")


def medians(rounds: list[list[float]]) -> list[float]:
    """The median of each position across rounds."""
    return [statistics.median(column) for column in zip(*rounds)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each side (default 3)")
    args = parser.parse_args()
    floor_rounds, lab_rounds = [], []
    with tempfile.TemporaryDirectory(prefix="labkit-bench-") as tmp:
        for index in range(args.rounds):
            workdir = Path(tmp) / str(index)
            workdir.mkdir()
            floor_rounds.append(floor_seconds(workdir))
            _, summary = lab_seconds(workdir)
            if summary["status"] != "passed":
                raise SystemExit(f"the lab failed: see {summary['out_dir']}")
            lab_rounds.append([lesson["duration_seconds"] for lesson in summary["lessons"]])
    floor, lab = medians(floor_rounds), medians(lab_rounds)
    result = {
        "rounds": args.rounds,
        "floor_seconds": round(sum(floor), 2),
        "lab_seconds": round(sum(lab), 2),
        "ratio": round(sum(lab) / sum(floor), 2),
        "floor_per_notebook": [round(x, 2) for x in floor],
        "lessons": {name: round(seconds, 2) for name, seconds in zip(LESSONS, lab)},
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"median of {args.rounds} rounds, per notebook")
    print(f"floor: {len(floor)} trivial notebooks through papermill   {result['floor_seconds']:6.2f} s")
    print(f"labkit run on the simulator                     {result['lab_seconds']:6.2f} s")
    print(f"ratio                                           {result['ratio']:6.2f}x   (target <= 1.5x)")
    for (name, seconds), base in zip(result["lessons"].items(), floor):
        print(f"  {name:28} {seconds:6.2f} s   floor {base:.2f} s   (+{seconds - base:.2f} s)")


if __name__ == "__main__":
    main()
