"""The ``az`` and ``kubectl`` commands each lesson step stands for, rendered from the parameters.

Example:
    >>> from labkit.params import load_params
    >>> print(command("create_manual_pool", load_params(lab_id="team3")))
    az aks nodepool add --resource-group myResourceGroup --cluster-name myAKSCluster --name gpudx \\
        --node-count 1 --os-type Windows --node-vm-size Standard_NC4as_T4_v3 --gpu-driver none \\
        --tags labkit=03_gpu_pool_manual_driver labkit-lab=team3
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional

from labkit import catalog, manifests
from labkit.identity import AUTO_DRIVER_LESSON, MANUAL_DRIVER_LESSON, pool_tags
from labkit.params import LabParams

if TYPE_CHECKING:
    from labkit.ledger import Item

_FEATURE = '--namespace "Microsoft.ContainerService" --name "WindowsGPUPreview"'


@dataclass(frozen=True)
class _Step:
    params: LabParams
    namespace: str
    workload_pool: str
    region: str


def command(step: str, params: LabParams, *, namespace: Optional[str] = None, workload_pool: Optional[str] = None,
            region: Optional[str] = None) -> str:
    """The command line(s) for one step; see :data:`STEPS` for the step names.

    Args:
        namespace: the lab's namespace (default: ``plugin_namespace``, else the doc's).
        workload_pool: the pool the sample Job runs on (default: lesson 03's).
        region: the cluster's region (default: a placeholder).
    """
    context = _Step(params, namespace or params.plugin_namespace or manifests.SHIPPED_NAMESPACE,
                    workload_pool or params.manual_pool_name, region or "<region>")
    return STEPS[step](context)


def _apply(s: _Step, manifest: str, *, pool: Optional[str] = None) -> str:
    """A shipped manifest rendered with the lab's values (``labkit manifest``), piped to ``kubectl apply``."""
    p = s.params
    tag = catalog.WINDOWS_OS_SKUS[p.os_sku].servercore_tag if p.os_sku else manifests.SHIPPED_IMAGE_TAG
    flags = [f"--namespace {s.namespace}", f"--lab-id {p.lab_id}"]
    flags += [f"--pool {pool}"] if pool else []
    flags += [f"--gpu-resource-name {p.gpu_resource_name}"] if p.gpu_resource_name != manifests.SHIPPED_RESOURCE else []
    flags += [f"--windows-image-tag {tag}"] if tag != manifests.SHIPPED_IMAGE_TAG else []
    return f"labkit manifest {manifest} {' '.join(flags)} | kubectl apply -f -"


#: What core `az` lacks for a flag the lessons may print (`unrecognized arguments` in az 2.91), said beside the command.
NEEDS_AKS_PREVIEW = "# --driver-type needs the aks-preview extension: az extension add --name aks-preview (online)"


def _pool_add(s: _Step, *, manual: bool) -> str:
    """``az aks nodepool add`` for the pool labkit creates: the same spec as the request body (:mod:`labkit.pools`)."""
    spec = s.params.pool_spec(manual=manual)
    tags = pool_tags(s.params.lab_id, MANUAL_DRIVER_LESSON if manual else AUTO_DRIVER_LESSON)
    parts = [
        f"az aks nodepool add --resource-group {s.params.resource_group} --cluster-name {s.params.cluster_name} --name {spec.name}",
        f"--node-count {spec.count} --os-type Windows" + (f" --os-sku {spec.os_sku}" if spec.os_sku else "")
        + (f" --kubernetes-version {spec.orchestrator_version}" if spec.orchestrator_version else "")
        + f" --node-vm-size {spec.vm_size}"
        + (" --gpu-driver none" if spec.gpu_driver == "None" else "")
        + (f" --driver-type {spec.driver_type}" if spec.driver_type else "")
        + (" --enable-fips-image" if spec.enable_fips else ""),
        "--tags " + " ".join(f"{key}={value}" for key, value in tags.items()),
    ]
    command = " \\\n    ".join(parts)
    return f"{NEEDS_AKS_PREVIEW}\n{command}" if spec.driver_type else command


STEPS: dict[str, Callable[[_Step], str]] = {
    "get_credentials": lambda s: f"az aks get-credentials --resource-group {s.params.resource_group} --name {s.params.cluster_name}",
    "show_cluster": lambda s: (f"az aks show --resource-group {s.params.resource_group} --name {s.params.cluster_name} "
                               "--query kubernetesVersion -o tsv"),
    "show_quota": lambda s: (f"az vm list-usage --location {s.region} --output table\n"
                             f"az vm list-skus --location {s.region} --size {s.params.vm_size} --output table"),
    "preview_extension": lambda s: ("# only for --driver-type; it installs from Microsoft's extension index (online)\n"
                                    "az extension add --name aks-preview\naz extension update --name aks-preview"),
    "register_feature": lambda s: f"az feature register {_FEATURE}\naz feature show {_FEATURE} --query properties.state -o tsv",
    "register_provider": lambda s: "az provider register --namespace Microsoft.ContainerService",
    "create_pool": lambda s: _pool_add(s, manual=False),
    "create_manual_pool": lambda s: _pool_add(s, manual=True),
    "deploy_plugin": lambda s: (
        f"{_apply(s, manifests.NAMESPACE)}\n"
        f"{_apply(s, manifests.DEVICE_PLUGIN, pool=s.params.manual_pool_name)}\n"
        f"kubectl rollout status daemonset/nvidia-device-plugin-daemonset -n {s.namespace}"
    ),
    "show_capacity": lambda s: (
        "kubectl get nodes -l kubernetes.io/os=windows\n"
        "kubectl describe nodes -l kubernetes.io/os=windows | grep -A 8 Capacity"
    ),
    "run_workload": lambda s: (
        f"{_apply(s, manifests.GPU_WORKLOAD, pool=s.workload_pool)}\n"
        f"kubectl wait --for=condition=complete job/windows-gpu-workload -n {s.namespace} --timeout={int(s.params.timeout_minutes)}m\n"
        f"kubectl logs job/windows-gpu-workload -n {s.namespace}"
    ),
    "cleanup": lambda s: f"labkit cleanup --lab-id {s.params.lab_id}",
}


def removal(items: list["Item"]) -> str:
    """The commands that delete these ledger items by hand (a Pod goes with its Job, DaemonSet or namespace)."""
    lines = []
    for item in items:
        if item.is_pool:
            group, cluster = item.cluster
            lines.append(f"az aks nodepool delete --resource-group {group} --cluster-name {cluster} --name {item.name} --no-wait")
        elif item.kind != "Pod":
            lines.append(f"kubectl delete {item.kind.lower()} {item.name}" + (f" -n {item.place}" if item.place else ""))
    return "\n".join(lines)
