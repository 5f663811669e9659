"""Requests per lesson step: the az and kubectl commands the lessons print, against labkit's own calls for the same
step, counted from the simulator's access log (ARM and Kubernetes; sign-in apart).

Each side runs on a fresh simulator of its own at the default clock (ten Azure minutes a second), the steps one after
the other, so the requests between two steps are that step's. Needs the az CLI ($LABKIT_AZ, .tools/azcli or PATH)
and kubectl. Prints a Markdown table.

    python bench/requests_by_step.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Callable

from labkit import Lab, load_params
from labkit.capacity import wait_for_gpus
from labkit.cleanup import cleanup
from labkit.commands import command
from labkit.kube_objects import deploy_device_plugin, ensure_namespace, run_workload
from labkit.pools import create_gpu_pool
from labkit.preview import register_feature, register_provider, wait_for_feature, wait_for_provider
from labkit.sim import access_log
from labkit.sim.az_login import find_az, sign_in
from labkit.sim.server import SimServer
from labkit.sim.world import DEFAULT_TIME_SCALE

REPO = Path(__file__).resolve().parents[1]
PARAMS = {"lab_id": "bench", "timeout_minutes": 5}

#: labkit's calls for each step, as the lessons make them.
LABKIT_STEPS: dict[str, Callable[[Lab], object]] = {
    "get_credentials": lambda lab: lab.kubeconfig_path,
    "show_cluster": lambda lab: lab.cluster_version(),
    "register_feature": lambda lab: (register_feature(lab), wait_for_feature(lab)),
    "register_provider": lambda lab: (register_provider(lab), wait_for_provider(lab)),
    "create_pool": lambda lab: (create_gpu_pool(lab), wait_for_gpus(lab, lab.params.pool_name)),
    "create_manual_pool": lambda lab: create_gpu_pool(lab, manual=True),
    "deploy_plugin": lambda lab: (ensure_namespace(lab), deploy_device_plugin(lab)),
    "show_capacity": lambda lab: wait_for_gpus(lab, lab.params.manual_pool_name),
    "run_workload": run_workload,
    "cleanup": cleanup,
}


def counted(state_dir: Path, step: Callable[[], object]) -> Counter:
    """The requests (by client and plane) the simulator logged while ``step`` ran."""
    before = len(access_log.read(state_dir))
    step()
    return Counter((e["client"], access_log.plane_of(e["path"])) for e in access_log.read(state_dir)[before:])


def by_hand(workdir: Path) -> dict[str, Counter]:
    server = SimServer(workdir / "az-side", time_scale=DEFAULT_TIME_SCALE).start_in_thread()
    try:
        az = find_az(os.environ.get("LABKIT_AZ") or shutil.which(str(REPO / ".tools/azcli/bin/az")))
        env = {**os.environ, **sign_in(server.state_dir, server.url, az=az).environment(), "HOME": str(workdir),
               "PATH": os.pathsep.join([str(Path(az).parent), str(Path(sys.executable).parent), os.environ["PATH"]]),
               "LABKIT_STATE_DIR": str(server.state_dir)}
        params = load_params(**PARAMS)

        def run(step: str) -> None:
            subprocess.run(["bash", "-c", "set -eo pipefail\n" + command(step, params)], env=env, check=True,
                           capture_output=True, timeout=600)

        return {step: counted(server.state_dir, lambda step=step: run(step)) for step in LABKIT_STEPS}
    finally:
        server.stop()


def with_labkit(workdir: Path) -> dict[str, Counter]:
    server = SimServer(workdir / "labkit-side", time_scale=DEFAULT_TIME_SCALE).start_in_thread()
    os.environ.update(LABKIT_STATE_DIR=str(server.state_dir), LABKIT_PROGRESS="off",
                      LABKIT_CONFIG_DIR=str(workdir / "config"))
    try:
        lab = Lab(load_params(**PARAMS))
        return {step: counted(server.state_dir, lambda do=do: do(lab)) for step, do in LABKIT_STEPS.items()}
    finally:
        server.stop()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="labkit-requests-") as folder:
        az, labkit = by_hand(Path(folder)), with_labkit(Path(folder))
    print("| step | az/kubectl: ARM | az/kubectl: Kubernetes | labkit: ARM | labkit: Kubernetes |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for step in LABKIT_STEPS:
        hand = sum(n for (client, plane), n in az[step].items() if plane == "arm"), \
            sum(n for (client, plane), n in az[step].items() if plane == "kubernetes")
        ours = sum(n for (_, plane), n in labkit[step].items() if plane == "arm"), \
            sum(n for (_, plane), n in labkit[step].items() if plane == "kubernetes")
        print(f"| {step} | {hand[0]} | {hand[1]} | {ours[0]} | {ours[1]} |")
    signs = sum(n for c in az.values() for (_, plane), n in c.items() if plane == "sign_in"), \
        sum(n for c in labkit.values() for (_, plane), n in c.items() if plane == "sign_in")
    print(f"\nSign-in requests during the steps: az {signs[0]}, labkit {signs[1]} (az signed in before, by labkit sim az-login).")


if __name__ == "__main__":
    main()
