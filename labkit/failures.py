"""Azure and Kubernetes failures as one readable :class:`~labkit.errors.OperationError` with a hint."""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Iterator

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError, ServiceResponseError
from urllib3.exceptions import HTTPError as Urllib3Error

from labkit.errors import OperationError, first_line

#: Hints for generic codes, chosen by what the message says.
_MESSAGE_HINTS = {
    "is not allowed in your subscription": "That size is not offered to your subscription in this region (retired, "
    "restricted or out of capacity): pick another from labkit.catalog, such as Standard_NC4as_T4_v3, and check it "
    "with `az vm list-skus --location <region> --size <size>`.",
}

_HINTS = {
    "PreviewFeatureNotRegistered": "Run 01_preview_setup.ipynb: register WindowsGPUPreview, wait for Registered, re-register the provider.",
    "QuotaExceeded": "Ask for more GPU vCPU quota for this VM family and region (Portal > Quotas), or lower node_count or vm_size.",
    "ErrCode_InsufficientVCPUQuota": "Ask for more GPU vCPU quota for this VM family and region (Portal > Quotas), or lower node_count or vm_size.",
    "AgentPoolK8sVersionNotSupported": "That Kubernetes version is not offered here, or not for this os-sku: leave kubernetes_version unset (the cluster's), or pick one from `az aks get-versions --location <region>`.",
    "NodePoolMcVersionIncompatible": "A pool runs at most the control plane's Kubernetes version and at most 3 minors behind it: leave kubernetes_version unset, or upgrade the cluster first (az aks upgrade).",
    "SubscriptionRequestsThrottled": "Azure is throttling this subscription's requests and the SDK's retries ran out: wait a minute, then re-run this cell.",
    "InternalServerError": "Azure failed for a moment and the SDK's retries ran out: re-run this cell in a minute.",
    "ServiceUnavailable": "Azure failed for a moment and the SDK's retries ran out: re-run this cell in a minute.",
    "OutboundConnFailVMExtensionError": "The nodes could not reach the internet to finish setup: check the subnet's outbound rules (https://aka.ms/aks-required-ports), then delete the Failed pool (05_cleanup) and run this lesson again.",
    "PreconditionFailed": "The pool changed, or appeared, after it was read: re-run this cell.",
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
    "ConnectionFailed": "The endpoint did not answer: for the simulator run `labkit sim start`; for Azure check your network or proxy.",
}


@contextmanager
def reported(operation: str) -> Iterator[None]:
    """Turn any Azure or Kubernetes failure inside the block into an OperationError for ``operation``."""
    try:
        yield
    except ClientAuthenticationError as error:
        raise OperationError(operation, "AuthenticationFailed", first_line(error.message), _HINTS["AuthenticationFailed"]) from None
    except HttpResponseError as error:
        code = getattr(error.error, "code", None) or f"HTTP {error.status_code}"
        message = getattr(error.error, "message", None) or first_line(error.message)
        raise OperationError(operation, code, message, hint(code, message)) from None
    except (ServiceRequestError, ServiceResponseError, Urllib3Error) as error:
        raise OperationError(operation, "ConnectionFailed", first_line(str(error)), _HINTS["ConnectionFailed"]) from None
    except Exception as error:
        # Matched by name so that lessons without Kubernetes steps never pay for importing the client.
        if not any(c.__name__ == "ApiException" and c.__module__.startswith("kubernetes.") for c in type(error).__mro__):
            raise
        reason, message = _kubernetes_status(error)
        raise OperationError(operation, reason, message, hint(reason, message)) from None


def hint(code: str, message: str = "") -> str:
    """What to do about a service error: by its code, else by what its message says."""
    return _HINTS.get(code) or next((h for text, h in _MESSAGE_HINTS.items() if text in message), "")


def _kubernetes_status(error: Exception) -> tuple[str, str]:
    try:
        status = json.loads(error.body)
        return status.get("reason") or str(error.status), status.get("message") or str(error.reason)
    except (TypeError, ValueError):
        return str(error.reason or error.status), first_line(str(error.body or error))


