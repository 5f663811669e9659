"""labkit: a notebook lab kit for GPU workloads on Windows node pools in AKS, with a local simulator."""

from labkit.errors import LabConfigError, LabError, MissingPrerequisite, OperationError, WaitTimeout
from labkit.lab import Lab
from labkit.params import LabParams, load_params, params_from
from labkit.settings_form import form

__all__ = [
    "Lab",
    "LabConfigError",
    "LabError",
    "LabParams",
    "MissingPrerequisite",
    "OperationError",
    "WaitTimeout",
    "form",
    "load_params",
    "params_from",
]
