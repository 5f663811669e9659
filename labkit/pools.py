"""Lessons 02 and 03: Windows GPU node pools, created idempotently and tagged as the lab's own."""

from __future__ import annotations

from typing import Any, Optional

from labkit.errors import OperationError
from labkit.failures import hint, reported
from labkit.lab import Lab
from labkit.waiting import wait_for

#: Every pool the lab creates carries this tag; cleanup deletes only pools that do.
LAB_TAG = "labkit"


def tag_value(*, manual: bool) -> str:
    """The lesson that created the pool, as the value of its ``labkit`` tag."""
    return "03_gpu_pool_manual_driver" if manual else "02_gpu_pool_auto_driver"


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
        "tags": {LAB_TAG: tag_value(manual=manual)},
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
    being created); one with other settings is an error, since those settings cannot change. A pool
    still being deleted (say, by a clean-up a moment ago) is waited out, then created anew.
    """
    lab.params.check_pools(lab.cluster_version())
    name = lab.params.pool_spec(manual=manual).name
    body = pool_body(lab, manual=manual)
    existing = get_pool(lab, name)
    if existing is not None and _state(existing) == "Deleting":
        _wait_gone(lab, [name])
        existing = None
    if existing is not None:
        _require_same_settings(existing, body, name)
        print(f"pool {name} already exists ({_state(existing)}): nothing to create")
        if LAB_TAG not in (existing.properties.tags or {}):
            print(f"note: pool {name} was not created by labkit; it is used as it is, and clean-up will leave it")
    else:
        client = lab.aks_preview if "driverType" in body["properties"]["gpuProfile"] else lab.aks
        p = lab.params
        with reported(f"creating pool {name}"):
            client.agent_pools.begin_create_or_update(p.resource_group, p.cluster_name, name, body)
    return wait_for_pool(lab, name)


def _state(pool: Any) -> str:
    state = pool.properties.provisioning_state
    return getattr(state, "value", state)


def wait_for_pool(lab: Lab, name: str) -> Any:
    """Wait until the pool's provisioning state is Succeeded; a Failed or vanished pool raises."""

    def provisioned() -> tuple[bool, str]:
        pool = get_pool(lab, name)
        if pool is None or _state(pool) in ("Failed", "Deleting"):
            state = _state(pool) if pool else "gone"
            error = getattr(pool.properties.status, "provisioning_error", None) if pool else None
            if error is not None and error.code:  # AKS says why in the pool's status
                raise OperationError(f"provisioning pool {name}", error.code, error.message, hint(error.code, error.message))
            raise OperationError(f"provisioning pool {name}", f"Pool{state}", f"the pool is {state}",
                                 "Look at the pool's activity log in the portal, clean up with 05_cleanup, and run this lesson again.")
        return _state(pool) == "Succeeded", _state(pool)

    wait_for(provisioned, what=f"pool {name}", **lab.wait_options())
    return get_pool(lab, name)


def _require_same_settings(existing: Any, body: dict[str, Any], name: str) -> None:
    wanted = body["properties"]
    have = existing.properties
    have_gpu = dict(have.gpu_profile or {})
    compared = [
        ("vmSize", have.vm_size, wanted["vmSize"]),
        ("gpuProfile.driver", have_gpu.get("driver", "Install"), wanted["gpuProfile"]["driver"]),
        ("count", have.count, wanted["count"]),
    ]
    if "driverType" in wanted["gpuProfile"]:
        compared.append(("gpuProfile.driverType", have_gpu.get("driverType"), wanted["gpuProfile"]["driverType"]))
    if "osSKU" in wanted:
        compared.append(("osSKU", getattr(have.os_sku, "value", have.os_sku), wanted["osSKU"]))
    differences = [f"{label} is {old!r}, not {new!r}" for label, old, new in compared if old != new]
    if differences:
        raise OperationError(
            f"creating pool {name}", "PoolExistsWithOtherSettings", "; ".join(differences),
            "Use another pool name, or delete this pool (05_cleanup) first.",
        )


def lab_pools(lab: Lab) -> list[Any]:
    """This lab's pools: named ``pool_name`` or ``manual_pool_name`` and tagged ``labkit``.

    Pools of other labs in the same cluster (other attendees, other names) and the cluster's own
    pools are never listed here.
    """
    p = lab.params
    names = {p.pool_name, p.manual_pool_name}
    with reported("listing pools"):
        pools = list(lab.aks.agent_pools.list(p.resource_group, p.cluster_name))
    return [pool for pool in pools if pool.name in names and LAB_TAG in (pool.properties.tags or {})]


def delete_pools(lab: Lab, names: list[str]) -> list[str]:
    """Delete pools (all at once) and wait until they are gone; returns those that existed."""
    p = lab.params
    present = [name for name in names if get_pool(lab, name) is not None]
    for name in present:
        with reported(f"deleting pool {name}"):
            lab.aks.agent_pools.begin_delete(p.resource_group, p.cluster_name, name)
    _wait_gone(lab, present)
    return present


def _wait_gone(lab: Lab, names: list[str]) -> None:
    def gone() -> tuple[bool, str]:
        left = [name for name in names if get_pool(lab, name) is not None]
        return not left, f"{len(names) - len(left)}/{len(names)} deleted"

    if names:
        wait_for(gone, what=f"deleting pools {', '.join(names)}", **lab.wait_options())


def describe_pool(pool: Any) -> str:
    """One line a learner reads: size, OS, driver and state."""
    props = pool.properties
    gpu = dict(props.gpu_profile or {})
    driver = gpu.get("driver", "Install") + (f" ({gpu['driverType']})" if gpu.get("driverType") else "")
    text = lambda value: getattr(value, "value", value)  # noqa: E731  SDK enums print as OSType.WINDOWS otherwise
    return (f"{pool.name}: {props.count} x {props.vm_size}, {text(props.os_type)} {text(props.os_sku)}, "
            f"driver {driver}, {text(props.provisioning_state)}, tags {props.tags}")
