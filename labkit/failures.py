"""Azure and Kubernetes failures as one readable :class:`~labkit.errors.OperationError` with a hint."""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Iterator

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError, ServiceResponseError
from urllib3.exceptions import HTTPError as Urllib3Error

from labkit.errors import OperationError

_HINTS = {
    "PreviewFeatureNotRegistered": "Run 01_preview_setup.ipynb: register WindowsGPUPreview, wait for Registered, re-register the provider.",
    "QuotaExceeded": "Ask for more GPU vCPU quota for this VM family and region (Portal > Quotas), or lower node_count or vm_size.",
    "ErrCode_InsufficientVCPUQuota": "Ask for more GPU vCPU quota for this VM family and region (Portal > Quotas), or lower node_count or vm_size.",
    "AgentPoolK8sVersionNotSupported": "Windows GPU pools need Kubernetes 1.29 or later: upgrade the cluster (az aks upgrade) or set kubernetes_version.",
    "OperationNotAllowed": "Another operation on this pool is still running: wait for it (re-run this cell), or use another pool name.",
    "PropertyChangeNotAllowed": "Size, os-sku and GPU settings are fixed when a pool is created: delete it (05_cleanup) and create it again, or use another pool name.",
    "AuthorizationFailed": "Your identity lacks rights here: it needs Contributor (or Azure Kubernetes Service Contributor) on the resource group.",
    "Forbidden": "The cluster refused the request: check your Kubernetes RBAC rights, or wait for a namespace being deleted to go away and re-run.",
    "ResourceGroupNotFound": "Check resource_group and subscription_id (az group list -o table).",
    "ResourceNotFound": "Check resource_group and cluster_name (az aks list -o table).",
    "NotFound": "It is not there: run the lesson that creates it first.",
    "AlreadyExists": "It exists already: re-running is safe, or clean up with 05_cleanup.",
    "Unauthorized": "The credentials were refused: run Lab(params) again to fetch fresh cluster credentials.",
    "AuthenticationFailed": "Sign in again: `az login` for Azure, or `labkit sim start` for the simulator.",
    "VMSizeRetired": "Pick a current size from labkit.catalog (e.g. Standard_NC4as_T4_v3).",
    "VMSizeNotSupported": "Pick an NVIDIA size from labkit.catalog (e.g. Standard_NC4as_T4_v3).",
    "ConnectionFailed": "The endpoint did not answer: for the simulator run `labkit sim start`; for Azure check your network or proxy.",
}


@contextmanager
def reported(operation: str) -> Iterator[None]:
    """Turn any Azure or Kubernetes failure inside the block into an OperationError for ``operation``."""
    try:
        yield
    except ClientAuthenticationError as error:
        raise OperationError(operation, "AuthenticationFailed", _first_line(error.message), _HINTS["AuthenticationFailed"]) from None
    except HttpResponseError as error:
        code = getattr(error.error, "code", None) or f"HTTP {error.status_code}"
        message = getattr(error.error, "message", None) or _first_line(error.message)
        raise OperationError(operation, code, message, _hint(code)) from None
    except (ServiceRequestError, ServiceResponseError, Urllib3Error) as error:
        raise OperationError(operation, "ConnectionFailed", _first_line(str(error)), _HINTS["ConnectionFailed"]) from None
    except Exception as error:
        # Matched by name so that lessons without Kubernetes steps never pay for importing the client.
        if not any(c.__name__ == "ApiException" and c.__module__.startswith("kubernetes.") for c in type(error).__mro__):
            raise
        reason, message = _kubernetes_status(error)
        raise OperationError(operation, reason, message, _hint(reason)) from None


def _hint(code: str) -> str:
    return _HINTS.get(code, "")


def _kubernetes_status(error: Exception) -> tuple[str, str]:
    try:
        status = json.loads(error.body)
        return status.get("reason") or str(error.status), status.get("message") or str(error.reason)
    except (TypeError, ValueError):
        return str(error.reason or error.status), _first_line(str(error.body or error))


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if text and text.strip() else ""
