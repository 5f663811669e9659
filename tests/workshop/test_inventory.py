"""labkit workshop status and cleanup: what each attendee's lab holds, found by its lab id, and the class's sweep."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from labkit import Lab, load_params
from labkit.cli import main
from labkit.exits import RunExit
from labkit.kube_objects import ensure_namespace
from labkit.workshop import report, roster
from labkit.workshop.attendees import read_attendees
from labkit.workshop.plan import plan_workshop
from tests.workshop.conftest import attendee_list

GROUP, CLUSTER = "myResourceGroup", "myAKSCluster"


def add_pool(lab_id: str, name: str, lesson: str) -> None:
    """A small pool the way a lab tags it (a Linux one: quick, and no GPU quota needed)."""
    lab = Lab(load_params(lab_id=lab_id))
    pool = {"properties": {"count": 1, "vmSize": "Standard_D2s_v3", "osType": "Linux", "mode": "User",
                           "tags": {"labkit": lesson, "labkit-lab": lab_id}}}
    lab.aks.agent_pools.begin_create_or_update(GROUP, CLUSTER, name, pool).result()


@pytest.fixture(scope="module")
def class_of_three(on_sim, tmp_path_factory):
    """Ada at lesson 02 (her pool and namespace), Bob at 03 (his driverless pool), Cy not started; an outsider's pool."""
    tmp = tmp_path_factory.mktemp("class")
    source = attendee_list(tmp, "Ada", "Bob", "Cy")
    workshop = plan_workshop(read_attendees(source), {}, tmp / "ws", source=source, say=lambda _: None)
    ada, bob, _ = (workshop.params(seat) for seat in workshop.seats)
    add_pool("ada", ada.pool_name, "02_gpu_pool_auto_driver")
    ensure_namespace(Lab(ada))
    add_pool("bob", bob.manual_pool_name, "03_gpu_pool_manual_driver")
    add_pool("outsider", "theirs", "02_gpu_pool_auto_driver")
    return workshop


def labkit(*args: str, input: str = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_status_shows_what_each_attendees_lab_holds_and_how_far_they_got(class_of_three):
    shown = labkit("workshop", "status", "--workshop", str(class_of_three.folder)).output.splitlines()
    assert shown[0].split() == ["attendee", "lab", "id", "last", "run", "reached", "holds", "now"]
    ada, bob, cy = (line.split(None, 4) for line in shown[1:4])
    assert ada[:4] == ["Ada", "ada", "not", "run"] and ada[4].split(None, 1)[0] == "02_gpu_pool_auto_driver"
    assert "pool gpu01a in myResourceGroup/myAKSCluster (Succeeded)" in ada[4] and "Namespace gpu-resources-ada" in ada[4]
    assert bob[4].startswith("03_gpu_pool_manual_driver") and bob[4].endswith("pool gpu02m in myResourceGroup/myAKSCluster (Succeeded)")
    assert cy[4].split() == ["-", "nothing"]
    assert shown[4] == f"2 of 3 labs hold something; `labkit workshop cleanup --workshop {class_of_three.folder}` removes it all"
    assert "theirs" not in "\n".join(shown)


def test_cleanup_lists_asks_and_removes_the_class_only(class_of_three):
    folder = str(class_of_three.folder)
    dry = labkit("workshop", "cleanup", "--workshop", folder, "--dry-run")
    listed = [line.strip() for line in dry.output.splitlines() if line.startswith("  ")]
    assert dry.exit_code == 0 and len(listed) == 3 and not any("theirs" in line for line in listed)
    assert f"az aks nodepool delete --resource-group {GROUP} --cluster-name {CLUSTER} --name gpu02m --no-wait" in dry.output
    refused = labkit("workshop", "cleanup", "--workshop", folder, input="n\n")
    assert refused.exit_code == 1 and "Remove these 3, of 2 attendees' labs?" in refused.output
    # a last run's report that says Ada's lab left her pool and Bob's may have left something
    ada, bob, cy = (report.new_row(seat) for seat in class_of_three.seats)
    last = [{**ada, "status": "failed", "attempts": 1, "left": ["pool gpu01a in myResourceGroup/myAKSCluster (Succeeded)"]},
            {**bob, "status": "failed", "attempts": 1, "left": None}, cy]
    assert report.holding(report.write(class_of_three, last, interrupted_by=None, seconds=1.0)) == ["ada", "bob"]
    swept = labkit("workshop", "cleanup", "--workshop", folder, "--yes")
    assert swept.exit_code == 0 and swept.output.endswith("removed; a fresh listing finds nothing left.\n"), swept.output
    rewritten = json.loads((class_of_three.folder / report.REPORT_JSON).read_text())
    assert report.holding(rewritten) == [] and [row["status"] for row in rewritten["attendees"]] == ["failed", "failed", "not run"]
    assert "the class's 3 labs hold nothing" in labkit("workshop", "cleanup", "--workshop", folder, "--dry-run").output
    outsider = Lab(load_params(lab_id="outsider"))
    assert [pool.name for pool in outsider.aks.agent_pools.list(GROUP, CLUSTER) if pool.name == "theirs"] == ["theirs"]
    outsider.aks.agent_pools.begin_delete(GROUP, CLUSTER, "theirs").result()


def test_cleanup_waits_for_a_run_of_the_class_to_end(class_of_three):
    with roster.running(class_of_three.folder):
        busy = labkit("workshop", "cleanup", "--workshop", str(class_of_three.folder), "--yes")
    assert busy.exit_code == RunExit.PARAMETERS_REFUSED and "is in use by another labkit workshop run" in busy.output


def test_a_folder_without_a_plan_says_how_to_make_one(tmp_path):
    result = labkit("workshop", "status", "--workshop", str(tmp_path))
    assert result.exit_code == RunExit.PARAMETERS_REFUSED
    assert f"--workshop '{tmp_path}' holds no workshop.yaml; a workshop folder is what `labkit workshop plan` writes. " \
           "Plan the class first" in result.output


def test_an_attendee_loads_their_settings_file_as_their_lab(class_of_three, config_dir):
    seat = class_of_three.seats[1]
    loaded = labkit("settings", "load", str(seat.settings_file))
    assert loaded.exit_code == 0 and loaded.output.startswith(f"lab bob: settings saved in {config_dir / 'labs' / 'bob.yaml'}")
    from labkit.params import params_from

    assert params_from({"pool_name": None}).manual_pool_name == "gpu02m"  # a lesson's parameters cell, all None
    bad = labkit("settings", "load", str(config_dir / "missing.yaml"))
    assert bad.exit_code == RunExit.PARAMETERS_REFUSED and "Error: FILE" in bad.output and "cannot be read" in bad.output
