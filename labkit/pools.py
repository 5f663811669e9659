"""Lessons 02 and 03: Windows GPU node pools, created idempotently and tagged as the lab's own.

A lab uses and removes only pools tagged with its lab id: a pool of the same name that another lab (or
someone by hand) created is never taken over; the lesson stops and suggests a free name instead.
"""

from __future__ import annotations

import time
from typing import Any, Optional

from labkit import catalog, quota, usage
from labkit.errors import OperationError
from labkit.failures import hint, reported
from labkit.identity import AUTO_DRIVER_LESSON, LESSON_TAG, MANUAL_DRIVER_LESSON, pool_lab, pool_tags
from labkit.lab import Lab, kubernetes_version
from labkit.waiting import wait_for, wait_for_operation


def lesson_of(*, manual: bool) -> str:
    """The lesson that creates the pool, as the value of its ``labkit`` tag."""
    return MANUAL_DRIVER_LESSON if manual else AUTO_DRIVER_LESSON


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
        "tags": pool_tags(lab.params.lab_id, lesson_of(manual=manual)),
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

    A pool of this lab that already exists with the same settings is left as it is (waiting for it if it
    is still being created); one with other settings is an error, since those settings cannot change. A
    pool still being deleted (say, by a clean-up a moment ago) is waited out, then created anew. A pool of
    that name that is not this lab's is an error naming its owner and a free name. Before a pool is created,
    the region must offer its size and the quotas have room for it (unless ``local_checks`` is off); an existing
    pool uses no new quota. The creation is waited for through its own poller, at the interval AKS asks for.
    """
    cluster = lab.cluster()
    lab.params.check_pools(catalog.parse_version(kubernetes_version(cluster)))
    spec = lab.params.pool_spec(manual=manual)
    body = pool_body(lab, manual=manual)
    existing = get_pool(lab, spec.name)
    if existing is not None:
        _require_ours(lab, existing, manual=manual)
    if existing is not None and _state(existing) == "Deleting":
        _wait_gone(lab, [spec.name])
        existing = None
    if existing is not None:
        _require_same_settings(existing, body, spec.name)
        print(f"pool {spec.name} already exists ({_state(existing)}): nothing to create")
        return wait_for_pool(lab, spec.name, manual=manual)
    if lab.params.local_checks:
        _check_room(lab, cluster.location, spec)
    return _create(lab, spec, body, region=cluster.location, manual=manual)


def _check_room(lab: Lab, region: str, spec: Any) -> None:
    """Stop before creating when the size is not offered or the quota has no room; go on when it cannot be read."""
    found = quota.checked_preflight(lab, region=region, vm_size=spec.vm_size, nodes=spec.count, what=f"pool {spec.name}")
    if found.unchecked:
        print(f"quota and sizes not checked ({found.unchecked}); AKS judges the request")
    found.require()


def _create(lab: Lab, spec: Any, body: dict[str, Any], *, region: str, manual: bool) -> Any:
    """Send the pool's PUT and wait for the operation it starts; a Failed pool raises AKS's reason."""
    client = lab.aks_preview if "driverType" in body["properties"]["gpuProfile"] else lab.aks
    p = lab.params
    with usage.step(lab, "pool", spec.name), reported(f"creating pool {spec.name}"):
        sent = time.time()
        poller = client.agent_pools.begin_create_or_update(p.resource_group, p.cluster_name, spec.name, body)
        usage.pool_created(lab, spec.name, vm_size=spec.vm_size, nodes=spec.count, region=region, at=sent)
        pool = wait_for_operation(poller, what=f"pool {spec.name}", timeout_minutes=p.timeout_minutes)
    _require_ours(lab, pool, manual=manual)  # another lab may have won a race for the name
    return pool


def _require_ours(lab: Lab, pool: Any, *, manual: bool) -> None:
    owner = pool_lab(pool.properties.tags)
    if owner == lab.params.lab_id:
        return
    whose = f"lab {owner}" if owner else "someone else (it has no labkit-lab tag)"
    parameter = "manual_pool_name" if manual else "pool_name"
    raise OperationError(
        f"creating pool {pool.name}", "PoolOfAnotherLab", f"pool {pool.name} exists and belongs to {whose}",
        f"A lab never uses or removes another's pools: set {parameter} to a name no one uses, "
        f"e.g. {free_name(lab, pool.name)!r}, and run this cell again.",
    )


def free_name(lab: Lab, taken: str) -> str:
    """A pool name for this lab that differs from ``taken``: its first letters and the lab id's last ones."""
    lab_id = lab.params.lab_id
    return (taken[:3] + lab_id[-3:]) if not taken.endswith(lab_id[-3:]) else (taken[0] + lab_id[-5:])


def _state(pool: Any) -> str:
    state = pool.properties.provisioning_state
    return getattr(state, "value", state)


def wait_for_pool(lab: Lab, name: str, *, manual: bool = False) -> Any:
    """Wait until the pool's provisioning state is Succeeded; a Failed, vanished or foreign pool raises."""

    seen: list[Any] = []

    def provisioned() -> tuple[bool, str]:
        pool = get_pool(lab, name)
        seen[:] = [pool]
        if pool is not None:
            _require_ours(lab, pool, manual=manual)  # another lab may have won a race for the name
        if pool is None or _state(pool) in ("Failed", "Deleting"):
            state = _state(pool) if pool else "gone"
            error = getattr(pool.properties.status, "provisioning_error", None) if pool else None
            if error is not None and error.code:  # AKS says why in the pool's status
                raise OperationError(f"provisioning pool {name}", error.code, error.message, hint(error.code, error.message))
            raise OperationError(f"provisioning pool {name}", f"Pool{state}", f"the pool is {state}",
                                 "Look at the pool's activity log in the portal, clean up with 05_cleanup, and run this lesson again.")
        return _state(pool) == "Succeeded", _state(pool)

    wait_for(provisioned, what=f"pool {name}", **lab.wait_options())
    return seen[0]


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
    """This lab's pools in its cluster, found by their ``labkit-lab`` tag whatever they are named.

    Pools of other labs in the same cluster (other attendees) and the cluster's own pools are never listed.
    """
    p = lab.params
    with reported("listing pools"):
        pools = list(lab.aks.agent_pools.list(p.resource_group, p.cluster_name))
    return [pool for pool in pools if pool_lab(pool.properties.tags) == p.lab_id]


def created_in(pool: Any) -> str:
    """The lesson that created one of the lab's pools."""
    return (pool.properties.tags or {}).get(LESSON_TAG, "")


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
