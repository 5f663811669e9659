"""Lessons 02 and 03: Windows GPU node pools, created idempotently and tagged as the lab's own."""

from __future__ import annotations

from typing import Any, Optional

from labkit.errors import OperationError
from labkit.failures import reported
from labkit.lab import Lab
from labkit.waiting import wait_for

#: Every pool the lab creates carries this tag; cleanup deletes only pools that do.
LAB_TAG = "labkit"


def pool_name(lab: Lab, *, manual: bool) -> str:
    return lab.params.manual_pool_name if manual else lab.params.pool_name


def pool_body(lab: Lab, *, manual: bool) -> dict[str, Any]:
    """The agentPools PUT body for lesson 02's pool (driver installed) or lesson 03's (driver skipped)."""
    spec = lab.params.pool_spec(manual=manual)
    gpu_profile = {"driver": spec.gpu_driver}
    if spec.driver_type:
        gpu_profile["driverType"] = spec.driver_type
    properties: dict[str, Any] = {
        "count": spec.count,
        "vmSize": spec.vm_size,
        "osType": "Windows",
        "mode": "User",
        "gpuProfile": gpu_profile,
        "tags": {LAB_TAG: "03_gpu_pool_manual_driver" if manual else "02_gpu_pool_auto_driver"},
    }
    optional = {"osSKU": spec.os_sku, "orchestratorVersion": spec.orchestrator_version, "enableFIPS": spec.enable_fips or None}
    properties.update({k: v for k, v in optional.items() if v is not None})
    return {"properties": properties}


def get_pool(lab: Lab, name: str) -> Optional[Any]:
    """The pool, or None when it does not exist (read with the preview api-version, which shows driverType)."""
    p = lab.params
    try:
        with reported(f"reading pool {name}"):
            return lab.aks_preview.agent_pools.get(p.resource_group, p.cluster_name, name)
    except OperationError as error:
        if error.code in ("NotFound", "ResourceNotFound"):
            return None
        raise


def create_gpu_pool(lab: Lab, *, manual: bool = False) -> Any:
    """Create lesson 02's (or, with ``manual``, lesson 03's) pool and wait until it has Succeeded.

    A pool that already exists with the same settings is left as it is (waiting for it if it is still
    being created); one with other settings is an error, since those settings cannot change.
    """
    lab.params.check_pools(lab.cluster_version())
    name = pool_name(lab, manual=manual)
    body = pool_body(lab, manual=manual)
    existing = get_pool(lab, name)
    if existing is not None:
        _require_same_settings(existing, body, name)
        print(f"pool {name} already exists ({existing.properties.provisioning_state}): nothing to create")
    else:
        client = lab.aks_preview if "driverType" in body["properties"]["gpuProfile"] else lab.aks
        p = lab.params
        with reported(f"creating pool {name}"):
            client.agent_pools.begin_create_or_update(p.resource_group, p.cluster_name, name, body)
    return wait_for_pool(lab, name)


def wait_for_pool(lab: Lab, name: str) -> Any:
    """Wait until the pool's provisioning state is Succeeded; a Failed pool raises."""

    def provisioned() -> tuple[bool, str]:
        pool = get_pool(lab, name)
        state = pool.properties.provisioning_state if pool else "missing"
        if state == "Failed":
            raise OperationError(f"provisioning pool {name}", "ProvisioningFailed", "the pool ended in state Failed",
                                 "Look at the pool's activity log in the portal, delete it with 05_cleanup, and retry.")
        return state == "Succeeded", state

    wait_for(provisioned, what=f"pool {name}", **lab.wait_options())
    return get_pool(lab, name)


def _require_same_settings(existing: Any, body: dict[str, Any], name: str) -> None:
    wanted = body["properties"]
    have = existing.properties
    have_gpu = dict(have.gpu_profile or {})
    differences = [
        f"{label} is {old!r}, not {new!r}"
        for label, old, new in (
            ("vmSize", have.vm_size, wanted["vmSize"]),
            ("gpuProfile.driver", have_gpu.get("driver", "Install"), wanted["gpuProfile"]["driver"]),
            ("count", have.count, wanted["count"]),
        )
        if old != new
    ]
    if differences:
        raise OperationError(
            f"creating pool {name}", "PoolExistsWithOtherSettings", "; ".join(differences),
            "Use another pool name, or delete this pool (05_cleanup) first.",
        )


def lab_pools(lab: Lab) -> list[Any]:
    """The pools the lab created (tagged ``labkit``); the cluster's other pools are never listed here."""
    p = lab.params
    with reported("listing pools"):
        pools = list(lab.aks.agent_pools.list(p.resource_group, p.cluster_name))
    return [pool for pool in pools if LAB_TAG in (pool.properties.tags or {})]


def delete_pools(lab: Lab, names: list[str]) -> list[str]:
    """Delete pools (all at once) and wait until they are gone; returns those that existed."""
    p = lab.params
    present = [name for name in names if get_pool(lab, name) is not None]
    for name in present:
        with reported(f"deleting pool {name}"):
            lab.aks.agent_pools.begin_delete(p.resource_group, p.cluster_name, name)

    def gone() -> tuple[bool, str]:
        left = [name for name in present if get_pool(lab, name) is not None]
        return not left, f"{len(present) - len(left)}/{len(present)} deleted"

    if present:
        wait_for(gone, what=f"deleting pools {', '.join(present)}", **lab.wait_options())
    return present


def describe_pool(pool: Any) -> str:
    """One line a learner reads: size, OS, driver and state."""
    props = pool.properties
    gpu = dict(props.gpu_profile or {})
    driver = gpu.get("driver", "Install") + (f" ({gpu['driverType']})" if gpu.get("driverType") else "")
    text = lambda value: getattr(value, "value", value)  # noqa: E731  SDK enums print as OSType.WINDOWS otherwise
    return (f"{pool.name}: {props.count} x {props.vm_size}, {text(props.os_type)} {text(props.os_sku)}, "
            f"driver {driver}, {text(props.provisioning_state)}, tags {props.tags}")
