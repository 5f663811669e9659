"""Time `labkit run` on the simulator against its floor, and show what the run asks of Azure, in one run.

    .venv/bin/python bench/lab_bench.py [--json] [--rounds N]

1. Wall time of `labkit run` (``run_lab`` in this process) against the floor: six trivial notebooks through papermill's
   Python API, one after another in this process. The two alternate, A B A B ..., after one warm-up of each, and the
   ratio is taken pair by pair; its median is the figure. Target: at most 1.0x.
2. The last run's Azure time (while an Azure step ran) against its critical path (registration + the slower pool +
   verification + deletion), and its GPU VM-minutes, from its summary, on the simulator's clock.
3. ARM requests per step on a fresh simulator, as the simulator counts them, beside what ``az`` sends for the step.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import nbformat
import papermill

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labkit.runner import LESSONS, run_lab  # noqa: E402
from labkit.sim import service  # noqa: E402
from labkit.sim.server import SimServer  # noqa: E402

RATIO_TARGET = 1.0

#: What `az` 2.91 sends for each step, as issue 12 measured it: `az feature register` and `az feature show`;
#: `az aks nodepool add`; `az aks nodepool delete`.
AZ_REQUESTS = {"feature registration": "2-3", "pool add": "13-14", "pool delete": "12"}


def floor_seconds(workdir: Path) -> float:
    """Wall seconds of len(LESSONS) trivial notebooks through papermill, one after another, run like the lessons."""
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    notebook.cells = [nbformat.v4.new_code_cell('backend = "sim"', metadata={"tags": ["parameters"]}), nbformat.v4.new_code_cell("1 + 1")]
    source = workdir / "trivial.ipynb"
    nbformat.write(notebook, source)
    started = time.monotonic()
    for index in range(len(LESSONS)):
        papermill.execute_notebook(str(source), str(workdir / f"trivial-{index}.ipynb"), parameters={"backend": "sim"},
                                   progress_bar=False, kernel_name="python3")
    return time.monotonic() - started


def lab_run(workdir: Path) -> tuple[float, dict[str, Any]]:
    """Wall seconds of one `labkit run` on a fresh simulator (stopped afterwards), and its summary."""
    state = workdir / "sim-state"
    os.environ["LABKIT_STATE_DIR"] = str(state)
    try:
        started = time.monotonic()
        summary = run_lab({}, out_dir=workdir / "run", say=lambda _: None)
        elapsed = time.monotonic() - started
    finally:
        service.stop(state)
    if summary["status"] != "passed":
        raise SystemExit(f"the lab failed: see {summary['out_dir']}")
    return elapsed, summary


def requests_per_step(workdir: Path) -> dict[str, int]:
    """ARM requests each labkit step sends, counted by a fresh simulator in this process (default clock)."""
    from labkit import Lab, load_params
    from labkit.cleanup import cleanup
    from labkit.pools import create_gpu_pool
    from labkit.preview import register_feature, register_provider

    server = SimServer(workdir / "count-sim").start_in_thread()
    os.environ["LABKIT_STATE_DIR"] = str(server.state_dir)
    try:
        lab = Lab(load_params(lab_id="bench"))
        lab.cluster()  # the clients' first call (credentials, connection) is not any step's
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("feature registration", lambda: register_feature(lab)),
            ("provider registration", lambda: register_provider(lab)),
            ("pool add", lambda: create_gpu_pool(lab)),
            ("pool delete", lambda: cleanup(lab)),
        ]
        counts = {}
        for name, run in steps:
            before = sum(server.world.arm_requests.values())
            with contextlib.redirect_stdout(io.StringIO()):
                run()
            counts[name] = sum(server.world.arm_requests.values()) - before
        return counts
    finally:
        server.stop()


def measure(rounds: int) -> dict[str, Any]:
    pairs, summary = [], {}
    with tempfile.TemporaryDirectory(prefix="labkit-bench-") as tmp:
        os.environ.setdefault("LABKIT_CONFIG_DIR", str(Path(tmp) / "config"))
        os.environ.setdefault("LABKIT_PROGRESS", "off")
        for index in range(rounds + 1):  # the first pair warms both up (imports, caches) and is not counted
            workdir = Path(tmp) / str(index)
            workdir.mkdir()
            floor = floor_seconds(workdir)
            lab, summary = lab_run(workdir)
            if index:
                pairs.append((lab, floor))
        requests = requests_per_step(Path(tmp))
    usage = summary["azure_usage"]
    return {
        "rounds": rounds,
        "floor_seconds": round(statistics.median(floor for _, floor in pairs), 2),
        "lab_seconds": round(statistics.median(lab for lab, _ in pairs), 2),
        "ratio": round(statistics.median(lab / floor for lab, floor in pairs), 2),
        "ratios": [round(lab / floor, 2) for lab, floor in pairs],
        "lessons": {lesson["name"]: lesson["duration_seconds"] for lesson in summary["lessons"]},
        "azure_minutes": usage["azure_minutes"],
        "critical_path_minutes": usage["critical_path_minutes"],
        "critical_path": usage["critical_path"],
        "gpu_vm_minutes": usage["gpu_vm_minutes"],
        "arm_requests": requests,
    }


def print_table(result: dict[str, Any]) -> None:
    print(f"labkit run against its floor, medians of {result['rounds']} pairs run in turn")
    print(f"  floor: {len(LESSONS)} trivial notebooks through papermill  {result['floor_seconds']:6.2f} s")
    print(f"  labkit run on the simulator                  {result['lab_seconds']:6.2f} s")
    print(f"  ratio, pair by pair                          {result['ratio']:6.2f}x  (target <= {RATIO_TARGET:.1f}x; "
          f"pairs {', '.join(map(str, result['ratios']))})")
    print("  lessons (s): " + ", ".join(f"{name[:2]} {seconds:.1f}" for name, seconds in result["lessons"].items()))
    path = result["critical_path"]
    print("the last run on the simulator's clock")
    print(f"  Azure time (while an Azure step ran)         {result['azure_minutes']:6.1f} min")
    print(f"  critical path                                {result['critical_path_minutes']:6.1f} min  "
          f"(registration {path['registration']} + slower pool {path['pool']} + verification {path['verification']}"
          f" + deletion {path['deletion']})")
    print(f"  GPU VM-minutes                               {result['gpu_vm_minutes']:6.1f}")
    print("ARM requests per step (a fresh simulator counts them)")
    for step, count in result["arm_requests"].items():
        print(f"  {step:24} labkit {count:3}   az {AZ_REQUESTS.get(step, '-')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--rounds", type=int, default=3, help="counted pairs of runs (default 3)")
    args = parser.parse_args()
    result = measure(args.rounds)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)


if __name__ == "__main__":
    main()
