"""Time `labkit run` on the simulator against its floor: as many trivial notebooks through papermill.

    .venv/bin/python bench/lab_bench.py [--json]

The floor is what any papermill run of six notebooks costs (kernel start-up and shutdown); the ratio shows what the
lab adds on top of it. Target: within 1.5x of the floor.
"""

from __future__ import annotations

import argparse
import json
import os
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
    times = []
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="labkit-bench-") as tmp:
        workdir = Path(tmp)
        floor = floor_seconds(workdir)
        total, summary = lab_seconds(workdir)
    result = {
        "floor_seconds": round(sum(floor), 2),
        "lab_seconds": round(total, 2),
        "ratio": round(total / sum(floor), 2),
        "status": summary["status"],
        "lessons": {lesson["name"]: lesson["duration_seconds"] for lesson in summary["lessons"]},
        "floor_per_notebook": round(sum(floor) / len(floor), 2),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"floor: {len(floor)} trivial notebooks through papermill   {result['floor_seconds']:6.2f} s")
    print(f"labkit run on the simulator ({result['status']})        {result['lab_seconds']:6.2f} s")
    print(f"ratio                                              {result['ratio']:6.2f}x   (target <= 1.5x)")
    print(f"per lesson (floor {result['floor_per_notebook']:.2f} s each):")
    for name, seconds in result["lessons"].items():
        print(f"  {name:28} {seconds:6.2f} s   (+{seconds - result['floor_per_notebook']:.2f} s)")


if __name__ == "__main__":
    main()
