"""The lab's identity and settings: one stable lab id per user, settings set once, and the order that wins."""

from __future__ import annotations

import subprocess
import sys

import pytest

from labkit import LabConfigError, settings
from labkit.params import params_from


def test_your_lab_id_is_made_once_and_kept(config_dir):
    first = settings.current_lab_id()
    assert settings.LAB_ID_RE.match(first)
    assert settings.current_lab_id() == first
    again = subprocess.run([sys.executable, "-c", "from labkit import settings; print(settings.current_lab_id())"],
                           capture_output=True, text=True, check=True)
    assert again.stdout.strip() == first
    assert f"lab_id: {first}" in (config_dir / "config.yaml").read_text()


def test_processes_making_the_lab_id_at_once_all_get_the_same_one(config_dir):
    code = "from labkit import settings; print(settings.current_lab_id())"
    runs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(6)]
    assert len({run.communicate()[0].strip() for run in runs}) == 1


def test_the_environment_names_the_lab_for_a_ci_job_or_an_attendee(config_dir, monkeypatch):
    monkeypatch.setenv(settings.LAB_ID_ENV, "ci42")
    assert settings.current_lab_id() == "ci42"
    monkeypatch.setenv(settings.LAB_ID_ENV, "CI 42")
    with pytest.raises(LabConfigError, match=r"lab_id 'CI 42' \(from \$LABKIT_LAB_ID\) is not a lab id"):
        settings.current_lab_id()


def test_a_lessons_value_wins_then_the_lab_setting_then_labkits_default(config_dir):
    settings.save({"lab_id": "team3", "pool_name": "gpu3", "vm_size": "Standard_NC8as_T4_v3", "os_sku": "Windows2022"})
    params = params_from({"lab_id": None, "pool_name": None, "vm_size": "Standard_NC16as_T4_v3", "manual_pool_name": None})
    assert (params.lab_id, params.pool_name, params.vm_size) == ("team3", "gpu3", "Standard_NC16as_T4_v3")
    assert params.manual_pool_name == "gpudx"  # never saved: labkit's default
    assert params.os_sku == "Windows2022"  # saved, and not even declared by the lesson
    assert params_from({"os_sku": "default"}).os_sku is None  # the service's default, for this lesson only


def test_saving_makes_the_lab_your_current_one(config_dir):
    settings.save({"lab_id": "team3", "pool_name": "gpu3"})
    settings.save({"lab_id": "team4", "pool_name": "gpu4"})
    assert settings.current_lab_id() == "team4"
    assert params_from({}).pool_name == "gpu4"
    assert params_from({"lab_id": "team3"}).pool_name == "gpu3"


def test_a_broken_saved_value_says_where_it_was_saved(config_dir):
    settings.save({"lab_id": "team3", "node_count": 0})
    with pytest.raises(LabConfigError) as caught:
        params_from({"node_count": None})
    assert str(caught.value).startswith("node_count 0 is out of range (saved in lab team3's settings, ")
    assert "labs/team3.yaml" in str(caught.value)


@pytest.mark.parametrize("text, why", [
    ("pool_name: [gpu1", "cannot be read (while parsing"),
    ("- gpu1\n", "it holds a list"),
    ("\udcff", "cannot be read"),
])
def test_an_unreadable_settings_file_is_one_line_with_the_fix(config_dir, text, why):
    path = settings.settings_file("team3")
    path.parent.mkdir(parents=True)
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(LabConfigError) as caught:
        params_from({"lab_id": "team3"})
    message = str(caught.value)
    assert why in message and "delete it: lesson 00 saves it again" in message and "\n" not in message


def test_a_corrupt_config_names_the_file(config_dir):
    config_dir.mkdir()
    (config_dir / "config.yaml").write_text("lab_id: [oops\n")
    with pytest.raises(LabConfigError, match="config.yaml"):
        settings.current_lab_id()
