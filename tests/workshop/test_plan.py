"""labkit workshop plan: attendee lists, lab ids and pool names, the clusters' limits and the class's quota."""

from __future__ import annotations

import pytest

from labkit.errors import LabConfigError
from labkit.params import read_params_file
from labkit.settings import LAB_ID_RE
from labkit.sim import faults
from labkit.workshop import roster
from labkit.workshop.attendees import read_attendees
from labkit.workshop.plan import plan_workshop
from tests.workshop.conftest import attendee_list

T4 = "standardNCASv3_T4Family"


def plan(tmp_path, *names, values=None, folder="ws", said=None):
    source = attendee_list(tmp_path, *names)
    return plan_workshop(read_attendees(source), values or {}, tmp_path / folder, source=source,
                         say=(said.append if said is not None else lambda _: None))


@pytest.mark.parametrize("content, why", [
    (b"name\nAda\nBob\nada\n", "names 'ada' twice (row 2 and row 4)"),
    (b"name,cluster_name\nAda,\n,aks2\n", "has no name in row 3"),
    (b"who\nAda\n", "has no name column in its first line"),
    (b"name,team\nAda,red\n", "has a column 'team' (row 2)"),
    (b"name\n", "lists no attendee"),
    (b"name\n\xff\n", "is not UTF-8 text"),
    (b'name\n"Ada\n', "is not valid CSV"),
])
def test_a_bad_attendee_list_stops_in_one_line_before_anything_is_written(tmp_path, content, why):
    source = tmp_path / "class.csv"
    source.write_bytes(content)
    with pytest.raises(LabConfigError) as caught:
        read_attendees(source)
    assert len(str(caught.value).splitlines()) == 1 and why in str(caught.value), str(caught.value)
    assert str(caught.value).startswith(f"attendees '{source}' ")


@pytest.mark.parametrize("content, why", [
    ("- Ada\n- {name: Bob, team: red}\n", "has a column 'team' (item 2)"),
    ("attendees: [Ada]\n", "is not a YAML list"),
    ("- Ada\n- [\n", "is not valid YAML"),
    ("- Ada\n- {cluster_name: aks2}\n", "has no name in item 2"),
])
def test_a_bad_yaml_attendee_list_too(tmp_path, content, why):
    source = tmp_path / "class.yaml"
    source.write_text(content)
    with pytest.raises(LabConfigError, match=why.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        read_attendees(source)


def test_a_missing_attendee_list_is_named():
    with pytest.raises(LabConfigError, match="cannot be read"):
        read_attendees(__import__("pathlib").Path("/no/such/class.csv"))


def test_yaml_attendees_name_their_own_cluster(tmp_path):
    source = tmp_path / "class.yml"
    source.write_text("- Ada Lovelace\n- {name: Grace Hopper, resource_group: rg2, cluster_name: aks2}\n")
    assert [(a.name, a.cluster) for a in read_attendees(source)] == [
        ("Ada Lovelace", {}), ("Grace Hopper", {"resource_group": "rg2", "cluster_name": "aks2"})]


def test_every_attendee_gets_a_lab_pools_and_a_namespace_of_their_own(on_sim, tmp_path):
    names = ["Ada Lovelace", "Grace Hopper", "Ada-Lovelace", "Zoë Ö'Brien", "李雷", "Al"]
    workshop = plan(tmp_path, *names)
    assert [seat.name for seat in workshop.seats] == names
    labs = [read_params_file(seat.settings_file) for seat in workshop.seats]
    assert [lab["lab_id"] for lab in labs] == ["adalovelace", "gracehopper", "adalovelace2", "zoeobrien", "attendee", "allab"]
    assert all(LAB_ID_RE.match(lab["lab_id"]) for lab in labs)
    pools = [name for lab in labs for name in (lab["pool_name"], lab["manual_pool_name"])]
    assert len(set(pools)) == len(pools) and all(len(name) <= 6 for name in pools)
    assert [lab["plugin_namespace"] for lab in labs][:2] == ["gpu-resources-adalovelace", "gpu-resources-gracehopper"]
    assert roster.load(tmp_path / "ws") == workshop


def test_the_plan_says_when_the_class_needs_more_quota_with_the_numbers_and_how_to_ask(on_sim, tmp_path):
    said = []
    plan(tmp_path, *[f"Attendee {n}" for n in "ABCDEFG"], said=said)
    line = next(text for text in said if text.startswith(f"quota: {T4}"))
    assert (f"{T4} in eastus: 7 labs need 56 vCPUs, 48 free (limit 48, 0 in use): 8 short. Ask for a limit of at least 56"
            in line)
    assert "az quota update --resource-name standardNCASv3_T4Family --scope /subscriptions/" in line
    assert f"`labkit sim fault add quota --family {T4} --limit 56`" in line
    assert "The class does not fit its quota" in said[-2]
    faults.add(on_sim.state_dir, "quota", family=T4, limit=56)
    try:
        said.clear()
        plan(tmp_path, *[f"Attendee {n}" for n in "ABCDEFG"], folder="ws2", said=said)
    finally:
        faults.clear(on_sim.state_dir)
    assert f"quota: {T4} in eastus: 7 labs need 56 vCPUs, 56 free (limit 56, 0 in use): enough" in said


def test_lab_ids_and_pool_names_in_use_in_the_cluster_are_left_to_their_owners(on_sim, tmp_path):
    from labkit import Lab, load_params

    lab = Lab(load_params(lab_id="ada"))
    pool = {"properties": {"count": 1, "vmSize": "Standard_D2s_v3", "osType": "Linux", "mode": "User",
                           "tags": {"labkit": "02_gpu_pool_auto_driver", "labkit-lab": "ada"}}}
    lab.aks.agent_pools.begin_create_or_update("myResourceGroup", "myAKSCluster", "gpu01a", pool).result()
    try:
        said = []
        workshop = plan(tmp_path, "Ada", said=said)
    finally:
        lab.aks.agent_pools.begin_delete("myResourceGroup", "myAKSCluster", "gpu01a").result()
    values = read_params_file(workshop.seats[0].settings_file)
    assert (values["lab_id"], values["pool_name"], values["manual_pool_name"]) == ("ada2", "gpu02a", "gpu02m")
    assert "lab id ada is in use in the subscription of myResourceGroup/myAKSCluster: Ada gets ada2" in said


def test_a_class_beyond_akss_node_pools_per_cluster_is_refused(on_sim, tmp_path):
    with pytest.raises(LabConfigError) as caught:
        plan(tmp_path, *[f"Attendee {n}" for n in range(50)])
    assert ("would put 101 node pools on cluster myResourceGroup/myAKSCluster (1 there now, 2 per attendee); "
            "AKS allows 100 node pools per cluster.") in str(caught.value)
    assert not (tmp_path / "ws").exists()


@pytest.mark.parametrize("values, message", [
    ({"pool_name": "gpu1"}, "pool_name 'gpu1' is chosen by the plan, for each attendee"),
    ({"node_count": "two"}, "node_count (attendee 'Ada') 'two' is not a whole number"),
])
def test_a_bad_class_parameter_stops_before_anything_is_sent(on_sim, tmp_path, values, message):
    with pytest.raises(LabConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plan(tmp_path, "Ada", values=values)
    assert not (tmp_path / "ws").exists()


def test_an_attendees_own_cluster_that_cannot_be_reached_is_planned_and_said(on_sim, tmp_path, monkeypatch):
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    said = []
    workshop = plan(tmp_path, "Ada", values={"backend": "azure"}, said=said)
    assert read_params_file(workshop.seats[0].settings_file)["backend"] == "azure"
    assert any(text.startswith("cluster myResourceGroup/myAKSCluster: not checked (subscription_id None is not set")
               for text in said), said
    assert not any(text.startswith("quota: ") for text in said)


def test_a_used_folder_is_never_planned_into(on_sim, tmp_path):
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "notes.txt").write_text("mine")
    with pytest.raises(LabConfigError, match="exists and is not an empty folder"):
        plan(tmp_path, "Ada")
    assert [p.name for p in (tmp_path / "ws").iterdir()] == ["notes.txt"]
