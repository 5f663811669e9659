"""labkit: a notebook lab kit for GPU workloads on Windows node pools in AKS, with a local simulator."""

from labkit.errors import LabConfigError, LabError, MissingPrerequisite, OperationError, WaitTimeout
from labkit.params import LabParams, load_params

__all__ = [
    "LabConfigError",
    "LabError",
    "LabParams",
    "MissingPrerequisite",
    "OperationError",
    "WaitTimeout",
    "load_params",
]
