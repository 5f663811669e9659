"""Time a workshop rehearsal: a class planned and run on one simulator through the labkit command.

    .venv/bin/python bench/workshop_bench.py [--attendees 30] [--parallel 10] [--json]

Plans ``--attendees`` attendees on a fresh simulator (default clock), raises the GPU family's quota to what
``--parallel`` labs at once need (``labkit sim fault add quota``, as an instructor would), runs
``labkit workshop run --parallel N`` and reports its wall time, how many passed, what was left, the CPU
seconds the attendees' labs (their processes and kernels) and the simulator took, and the memory of the run and its
labs at the peak (sampled from /proc, so Linux only). Stops the simulator at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labkit import catalog  # noqa: E402
from labkit.sim import service  # noqa: E402
from labkit.workshop.quota import POOLS_PER_LAB  # noqa: E402


def labkit(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labkit", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def rehearse(workdir: Path, attendees: int, parallel: int) -> dict:
    env = {**os.environ, "LABKIT_STATE_DIR": str(workdir / "sim"), "LABKIT_CONFIG_DIR": str(workdir / "config"),
           "LABKIT_PROGRESS": "off"}
    env.pop("LABKIT_SIM_TIME_SCALE", None)
    (workdir / "class.csv").write_text("name\n" + "".join(f"Attendee {n:03d}\n" for n in range(1, attendees + 1)))
    size = catalog.gpu_size(catalog.DEFAULT_VM_SIZE)
    labkit(env, "sim", "start")
    labkit(env, "sim", "fault", "add", "quota", "--family", size.family.quota_family,
           "--limit", str(parallel * POOLS_PER_LAB * size.vcpus))
    try:
        planned = labkit(env, "workshop", "plan", str(workdir / "class.csv"), "--workshop", str(workdir / "ws"))
        if planned.returncode:
            raise SystemExit(planned.stderr)
        simulator = service.status(workdir / "sim")["pid"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        run = subprocess.Popen([sys.executable, "-m", "labkit", "workshop", "run", "--workshop", str(workdir / "ws"),
                                "--parallel", str(parallel)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        peak_mib = 0.0
        while run.poll() is None:
            peak_mib = max(peak_mib, tree_rss_mib(run.pid))
            time.sleep(0.5)
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        simulator_cpu = cpu_seconds(simulator)
    finally:
        service.stop(workdir / "sim")
    report = json.loads((workdir / "ws" / "report.json").read_text())
    rows = report["attendees"]
    durations = [row["duration_seconds"] for row in rows if row["duration_seconds"] is not None]
    return {
        "attendees": attendees, "parallel": parallel, "exit_status": run.returncode,
        "wall_seconds": round(wall, 1), "passed": report["counts"].get("passed", 0),
        "left": sum(len(row["left"] or []) + (row["left"] is None) for row in rows),
        "attendee_seconds_median": round(statistics.median(durations), 1), "attendee_seconds_max": round(max(durations), 1),
        "cpu_seconds": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1),
        "simulator_cpu_seconds": round(simulator_cpu, 1),
        "peak_mib": round(peak_mib), "largest_process_mib": round(after.ru_maxrss / 1024),
    }


def tree_rss_mib(root: int) -> float:
    """The resident memory of ``root`` and every process below it, in MiB (Linux /proc)."""
    parents, rss = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid], rss[pid] = int(fields[1]), int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    below = {root}
    for _ in range(8):  # the run, its labs, their kernels
        below |= {pid for pid, parent in parents.items() if parent in below}
    return sum(rss.get(pid, 0) for pid in below) / 2 ** 20


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds a running process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attendees", type=int, default=30)
    parser.add_argument("--parallel", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="labkit-workshop-bench-") as tmp:
        result = rehearse(Path(tmp), args.attendees, args.parallel)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['attendees']} attendees at --parallel {result['parallel']} on one simulator "
          f"({os.cpu_count()} CPUs): {result['wall_seconds']} s wall, {result['passed']}/{result['attendees']} passed, "
          f"{result['left']} things left")
    print(f"each attendee's lab: median {result['attendee_seconds_median']} s, longest {result['attendee_seconds_max']} s")
    print(f"CPU: {result['cpu_seconds']} s for the labs ({result['cpu_seconds'] / result['attendees']:.1f} s an attendee), "
          f"{result['simulator_cpu_seconds']} s for the simulator")
    print(f"memory: {result['peak_mib']} MiB at the peak for the run and its labs; largest process {result['largest_process_mib']} MiB")


if __name__ == "__main__":
    main()
