"""A stand-in for `labkit run --params-file SETTINGS --out DIR` in the workshop run's tests, chosen by the lab id.

passes by default; "fail" in the lab id: lesson 02 fails with an error full of HTML; "slow": waits in lesson 00
of its first attempt for an interrupt, then ends interrupted as labkit run does; "crash": ends before writing any summary;
"refused": refuses its parameters as labkit run does (exit 2, no summary, nothing created).
"""

import json
import signal
import sys
import time
from pathlib import Path

import yaml

LESSONS = ["00_prerequisites", "01_preview_setup", "02_gpu_pool_auto_driver", "03_gpu_pool_manual_driver",
           "04_verify_gpu_capacity", "05_cleanup"]


def main() -> int:
    settings, out = Path(sys.argv[1]), Path(sys.argv[2])
    lab_id = yaml.safe_load(settings.read_text())["lab_id"]
    if "crash" in lab_id:
        print("Error: something broke", flush=True)
        return 1
    if "refused" in lab_id:
        print("Error: vm_size 'Standard_X' is not a GPU size labkit knows", flush=True)
        return 2
    out.mkdir(parents=True)
    stopped = []
    signal.signal(signal.SIGTERM, lambda number, frame: stopped.append(signal.Signals(number).name))
    lessons = []
    for index, lesson in enumerate(LESSONS, 1):
        print(f"[{index}/6] {lesson} ...", flush=True)
        while "slow" in lab_id and out.name.endswith("-1") and not stopped:
            time.sleep(0.05)
        failed = ("fail" in lab_id and lesson == "02_gpu_pool_auto_driver") or stopped
        error = '<script>alert("x")</script> & more' if failed and not stopped else "interrupted (SIGTERM)" if failed else None
        lessons.append({"name": lesson, "status": "failed" if failed else "passed", "duration_seconds": 1.0, "error": error})
        if failed:
            break
    status = "interrupted" if stopped else "failed" if "fail" in lab_id else "passed"
    summary = {"status": status, "lab_id": lab_id, "lessons": lessons, "interrupted_by": stopped[0] if stopped else None,
               "gpu_capacity": [{"node": "aks1", "pool": "p1", "allocatable": 1}] if status == "passed" else None,
               "left_after_cleanup": []}
    (out / "summary.json").write_text(json.dumps(summary))
    return {"passed": 0, "failed": 1, "interrupted": 130}[status]


if __name__ == "__main__":
    sys.exit(main())
