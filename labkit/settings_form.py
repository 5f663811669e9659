"""``labkit.form()``: the lab's settings as a form in JupyterLab, checked as you type, saved for every lesson.

It offers what the cluster accepts: the GPU sizes of the catalog that a pool may have today, with their GPUs, and the
os-skus and Kubernetes versions a Windows GPU pool may have on this cluster. Every value is checked by the rules and
messages of :mod:`labkit.params` and :mod:`labkit.rules` (one definition), and Save writes the lab's settings
(:func:`labkit.settings.save`) once they pass; the form then leaves the settings it saved as text in the notebook (run
the cell again to change them). A form never saved stays a widget, which a notebook reopened after its kernel has
gone shows as "Error displaying widget". Where no one sees widgets (papermill, nbval, ``labkit run``: see
:func:`labkit.notebook.shows_widgets`) it shows nothing and saves nothing: the parameters cell rules.
"""

from __future__ import annotations

from dataclasses import replace
from html import escape
from typing import Any, Optional

from labkit import catalog, rules, settings
from labkit.errors import LabConfigError
from labkit.notebook import replace_with_text, shows_widgets
from labkit.params import LabParams, lab_params

#: The settings the form edits, in its order. The backend and the cluster are lesson 00's parameters cell's.
FIELDS = ("pool_name", "manual_pool_name", "vm_size", "node_count", "os_sku", "kubernetes_version", "enable_fips",
          "gpu_driver", "driver_type", "plugin_namespace")

_WIDTH = {"layout": {"width": "680px"}, "style": {"description_width": "150px"}}

#: A dropdown's value for "no value": the service's or the cluster's default (ipywidgets reads None as "no choice").
_DEFAULT = ""


def form(lab: Any = None) -> None:
    """Show the lab's settings as a form (in a notebook frontend only; see the module's doc).

    Args:
        lab: the lesson's :class:`labkit.Lab`; by default one for the lab's saved settings.
    """
    if not shows_widgets():
        return
    from IPython.display import display

    from labkit.lab import Lab

    lab = lab or Lab(lab_params({}))
    settings_form = SettingsForm(lab.params, lab.cluster_version())
    settings_form.display = display(settings_form.widget, display_id=True)


class SettingsForm:
    """The form's widgets and logic, for a lab's parameters and its cluster's Kubernetes version."""

    def __init__(self, params: LabParams, cluster_version: catalog.Version):
        import ipywidgets as widgets

        self.params, self.cluster_version = params, cluster_version
        self.display: Any = None  # the notebook output showing the form, once shown
        p = params
        versions = self._version_choices()
        self.inputs = {
            "pool_name": widgets.Text(value=p.pool_name, **_WIDTH),
            "manual_pool_name": widgets.Text(value=p.manual_pool_name, **_WIDTH),
            "vm_size": widgets.Dropdown(options=self._size_choices(), value=p.vm_size, **_WIDTH),
            "node_count": widgets.IntText(value=p.node_count, **_WIDTH),
            "os_sku": widgets.Dropdown(options=self._os_sku_choices(versions), value=p.os_sku or _DEFAULT, **_WIDTH),
            "kubernetes_version": widgets.Dropdown(options=versions, value=p.kubernetes_version or _DEFAULT,
                                                   **_WIDTH),
            "enable_fips": widgets.Checkbox(value=p.enable_fips, **_WIDTH),
            "gpu_driver": widgets.ToggleButtons(options=rules.GPU_DRIVERS, value=p.gpu_driver, style=_WIDTH["style"]),
            "driver_type": widgets.Dropdown(options=[("the size's default", _DEFAULT), *((t, t) for t in rules.DRIVER_TYPES)],
                                            value=p.driver_type or _DEFAULT, **_WIDTH),
            "plugin_namespace": widgets.Text(value=p.plugin_namespace or "", placeholder="the lab's own", **_WIDTH),
        }
        self.messages = {name: widgets.HTML() for name in FIELDS}
        self.save_button = widgets.Button(description="Save", button_style="primary", icon="save")
        self.status = widgets.HTML()
        for name, field in self.inputs.items():
            field.description = name
            field.observe(lambda _change: self.check(), names="value")
        self.save_button.on_click(lambda _button: self.save())
        heading = widgets.HTML(f"<b>Lab {escape(p.lab_id)}</b>: cluster {escape(p.resource_group)}/{escape(p.cluster_name)}"
                               f" (Kubernetes {cluster_version[0]}.{cluster_version[1]}) on {escape(p.backend)}")
        rows = [widgets.VBox([self.inputs[name], self.messages[name]]) for name in FIELDS]
        self.widget = widgets.VBox([heading, *rows, widgets.HBox([self.save_button, self.status])])
        self.widget.add_class("labkit-form")
        self.check()

    def values(self) -> dict[str, Any]:
        """The parameters as the form has them now."""
        return {**vars(self.params), **{name: field.value for name, field in self.inputs.items()}}

    def check(self) -> Optional[LabParams]:
        """Show each field's problems under it; the validated parameters, or None while any rule is broken."""
        problems: dict[str, list[str]] = {}
        try:
            params = lab_params(self.values())
            params.check_pools(self.cluster_version)
        except LabConfigError as error:
            params = None
            for problem in error.problems:
                problems.setdefault(problem.param, []).append(str(problem))
        for name, message in self.messages.items():
            message.value = "".join(f"<div style='color: var(--jp-error-color1, #d32f2f)'>{escape(text)}</div>"
                                    for text in problems.get(name, []))
        self.save_button.disabled = params is None
        self.status.value = ""
        return params

    def save(self) -> None:
        """Save the lab's settings, when every rule passes."""
        params = self.check()
        if params is None:
            return
        path = settings.save(vars(params))
        self.params = params
        saved = f"Saved in {path.name}: the next lessons use these settings."
        self.status.value = escape(saved)
        if self.display is not None:
            shown = ", ".join(f"{name}={getattr(params, name)!r}" for name in FIELDS)
            replace_with_text(self.display, self.widget, f"lab {params.lab_id}: {shown}\n{saved} (Run this cell again to change them.)")

    def _size_choices(self) -> list[tuple[str, str]]:
        return [(_size_label(size), size.name) for size in catalog.GPU_SIZES.values()
                if size.name == self.params.vm_size or self._accepts("vm_size", vm_size=size.name)]

    def _version_choices(self) -> list[tuple[str, str]]:
        major, minor = self.cluster_version
        older = [f"{major}.{m}" for m in range(minor - 1, catalog.MIN_WINDOWS_GPU_VERSION[1] - 1, -1)]
        return _with_current([(f"the cluster's ({major}.{minor})", _DEFAULT),
                              *[(v, v) for v in older if self._accepts("kubernetes_version", kubernetes_version=v)]],
                             self.params.kubernetes_version)

    def _os_sku_choices(self, version_choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The OS SKUs the pool rules take with at least one of the form's versions."""
        versions = [v or None for _, v in version_choices]
        default = catalog.default_os_sku(self.cluster_version)
        return _with_current([(f"AKS's default ({default})", _DEFAULT),
                              *[(sku.name, sku.name) for sku in catalog.WINDOWS_OS_SKUS.values()
                                if any(self._accepts("os_sku", os_sku=sku.name, kubernetes_version=v,
                                                     enable_fips=sku.needs_fips) for v in versions)]],
                             self.params.os_sku)

    def _accepts(self, param: str, **values: Any) -> bool:
        """Whether the pool rules take ``values`` in place of the lab's, as far as ``param`` is concerned."""
        try:
            replace(self.params, **values).check_pools(self.cluster_version)
        except LabConfigError as error:
            return param not in error.params
        return True


def _with_current(choices: list[tuple[str, str]], current: Optional[str]) -> list[tuple[str, str]]:
    """The choices, and the lab's current value even when it is not one of them (the form then says what is wrong)."""
    current = current or _DEFAULT
    return choices if any(value == current for _, value in choices) else [*choices, (current, current)]


def _size_label(size: catalog.GpuSize) -> str:
    """How the form names a size: its GPUs, vCPUs and memory."""
    return f"{size.name} · {size.gpus} x {size.family.vendor} {size.family.gpu_model} · {size.vcpus} vCPUs, {size.memory_gib} GiB"
