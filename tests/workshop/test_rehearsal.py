"""A whole class on one simulator through the labkit command: planned, rehearsed, interrupted, and left clean."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path


from labkit.params import read_params_file
from labkit_command import labkit

ROOT = Path(__file__).resolve().parents[2]
CLASS = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson", "Edsger Dijkstra", "Barbara Liskov",
         "Donald Knuth", "Frances Allen", "Tony Hoare", "Radia Perlman", "Ken Thompson", "Margaret Hamilton"]


def plan(env: dict, tmp_path: Path, names: list[str]) -> Path:
    (tmp_path / "class.csv").write_text("name\n" + "\n".join(names) + "\n")
    planned = labkit(env, "workshop", "plan", str(tmp_path / "class.csv"), "--workshop", str(tmp_path / "ws"))
    assert planned.returncode == 0, planned.stdout + planned.stderr
    return tmp_path / "ws"


def test_twelve_attendees_at_once_on_one_cluster_each_verify_their_own_nodes_and_leave_nothing(sim_env, tmp_path):
    # Twelve labs' two pools at once need 96 vCPUs of the T4 family: the class's quota, as an instructor would ask for it.
    labkit(sim_env, "sim", "start")
    labkit(sim_env, "sim", "fault", "add", "quota", "--family", "standardNCASv3_T4Family", "--limit", str(len(CLASS) * 2 * 4))
    folder = plan(sim_env, tmp_path, CLASS)
    rehearsal = labkit(sim_env, "workshop", "run", "--workshop", str(folder), "--parallel", str(len(CLASS)))
    assert rehearsal.returncode == 0, rehearsal.stdout[-3000:] + rehearsal.stderr
    assert rehearsal.stdout.splitlines()[-1] == f"passed: 12 passed. Report: {folder / 'report.html'}"
    report = json.loads((folder / "report.json").read_text())
    assert [row["name"] for row in report["attendees"]] == CLASS
    for row in report["attendees"]:
        settings = read_params_file(folder / "settings" / f"{row['lab_id']}.yaml")
        assert (row["status"], row["left"]) == ("passed", []), row
        pools = {gpu.split("(pool ")[1].split(")")[0] for gpu in row["gpus"]}
        assert pools == {settings["pool_name"], settings["manual_pool_name"]}, "lesson 04 looked at another lab's nodes"
        verified = (folder / row["run_dir"] / "04_verify_gpu_capacity.ipynb").read_text()
        assert f"ran on aks{settings['manual_pool_name']}000000" in verified, "the Job ran on another lab's node"
    page = (folder / "report.html").read_text()
    assert page.count('<tr class="passed">') == 12 and all(name in page for name in CLASS)
    assert "0 of 12 labs hold something" in labkit(sim_env, "workshop", "status", "--workshop", str(folder)).stdout
    everything = labkit(sim_env, "cleanup", "--all-labs", "--dry-run").stdout
    assert "every lab in subscription" in everything and ": nothing" in everything, everything
    token = (tmp_path / "sim" / "token").read_text().strip()
    leaked = [path for path in folder.rglob("*") if path.is_file() and token in path.read_text(errors="replace")]
    assert not leaked


def test_an_interrupted_class_cleans_up_every_running_lab_and_writes_its_report(sim_env, tmp_path):
    folder = plan(sim_env, tmp_path, ["Ada Lovelace", "Grace Hopper", "Alan Turing"])
    run = subprocess.Popen([sys.executable, "-m", "labkit", "workshop", "run", "--workshop", str(folder), "--parallel", "2"],
                           cwd=ROOT, env=sim_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    at_pools = set()
    for line in run.stdout:  # plain lines: "[0:12] Ada Lovelace (adalovelace): 02_gpu_pool_auto_driver"
        if line.rstrip().endswith(": 02_gpu_pool_auto_driver"):
            at_pools.add(line.split("(")[1].split(")")[0])
        if len(at_pools) == 2:
            run.send_signal(signal.SIGINT)  # Ctrl-C, which reaches the workshop run only: it passes it on
            break
    rest, errors = run.communicate(timeout=600)
    assert run.returncode == 130, rest + errors
    assert "SIGINT: no new lab starts; the 2 running stop their lesson and clean up" in rest
    report = json.loads((folder / "report.json").read_text())
    assert report["status"] == "interrupted" and report["interrupted_by"] == "SIGINT"
    rows = {row["lab_id"]: row for row in report["attendees"]}
    assert {lab_id: rows[lab_id]["status"] for lab_id in at_pools} == dict.fromkeys(at_pools, "interrupted")
    assert all(rows[lab_id]["left"] == [] for lab_id in at_pools)
    assert [row["status"] for lab_id, row in rows.items() if lab_id not in at_pools] == ["not run"]
    assert errors.startswith("interrupted: 2 interrupted, 1 not run. Report:")
    assert "0 of 3 labs hold something" in labkit(sim_env, "workshop", "status", "--workshop", str(folder)).stdout
