"""labkit.form(): choices the cluster accepts, the params' own messages as you type, Save through the lab's settings."""

from __future__ import annotations

import pytest

from labkit import settings, settings_form
from labkit.errors import LabConfigError
from labkit.params import lab_params, load_params
from labkit.settings_form import SettingsForm

CLUSTER = (1, 33)


@pytest.fixture
def form(config_dir, monkeypatch):
    monkeypatch.setenv(settings.LAB_ID_ENV, "formlab")
    return SettingsForm(lab_params({}), CLUSTER)


def values(dropdown) -> list:
    return [value for _, value in dropdown.options]


def test_it_offers_what_a_windows_gpu_pool_may_have_on_the_cluster(form):
    sizes = values(form.inputs["vm_size"])
    assert "Standard_NC4as_T4_v3" in sizes and "Standard_NV36ads_A10_v5" in sizes
    assert "Standard_NC6s_v3" not in sizes, "retired on 2025-09-30"
    assert "Standard_NV4as_v4" not in sizes, "AMD: no driver from AKS"
    assert values(form.inputs["kubernetes_version"]) == ["", "1.32", "1.31", "1.30"], "the cluster's, then 3 minors below"
    assert values(form.inputs["os_sku"]) == ["", "Windows2019", "Windows2022", "Windows2025"]
    assert "1 x NVIDIA Tesla T4" in dict((v, k) for k, v in form.inputs["vm_size"].options)["Standard_NC4as_T4_v3"]


def test_a_name_is_checked_as_you_type_with_the_params_message(form):
    form.inputs["pool_name"].value = "gpupool1"
    with pytest.raises(LabConfigError) as expected:
        load_params(pool_name="gpupool1")
    assert str(expected.value.problems[0]).replace("'", "&#x27;") in form.messages["pool_name"].value
    assert form.save_button.disabled
    form.inputs["pool_name"].value = "gpu1"
    assert form.messages["pool_name"].value == "" and not form.save_button.disabled


def test_rules_that_need_the_cluster_version_are_checked_too(form):
    form.inputs["os_sku"].value = "Windows2019"
    assert "Windows2019" in form.messages["os_sku"].value, "Windows2019 ends with Kubernetes 1.32"
    form.inputs["kubernetes_version"].value = "1.32"
    assert form.messages["os_sku"].value == ""


def test_save_writes_the_lab_settings_that_the_next_lesson_reads(form):
    form.inputs["pool_name"].value = "gpuf1"
    form.inputs["os_sku"].value = "Windows2022"
    form.save()
    assert settings.saved("formlab")["pool_name"] == "gpuf1"
    assert lab_params({"pool_name": None}).pool_name == "gpuf1"
    assert "Saved in formlab.yaml" in form.status.value


def test_a_saved_form_leaves_its_settings_as_text(form):
    class Display:
        def update(self, data, raw=False):
            self.text = data["text/plain"]

    form.display = Display()
    form.save()
    assert form.display.text.startswith("lab formlab: pool_name='gpunp', manual_pool_name='gpudx'")
    assert form.widget.comm is None and all(field.comm is None for field in form.inputs.values())


def test_nothing_is_shown_where_no_one_sees_it(monkeypatch):
    monkeypatch.setattr(settings_form, "shows_widgets", lambda: False)
    monkeypatch.setattr("IPython.display.display", lambda *args, **kwargs: pytest.fail("displayed"))
    assert settings_form.form(lab=object()) is None
