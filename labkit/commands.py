"""The ``az`` and ``kubectl`` commands each lesson step stands for, rendered from the parameters.

Example:
    >>> from labkit.params import load_params
    >>> print(command("create_manual_pool", load_params()))
    az aks nodepool add --resource-group myResourceGroup --cluster-name myAKSCluster --name gpudx \\
        --node-count 1 --os-type Windows --node-vm-size Standard_NC4as_T4_v3 --gpu-driver none \\
        --tags labkit=03_gpu_pool_manual_driver
"""

from __future__ import annotations

from labkit import catalog
from labkit.params import LabParams
from labkit.pools import LAB_TAG, tag_value

_FEATURE = '--namespace "Microsoft.ContainerService" --name "WindowsGPUPreview"'


def command(step: str, params: LabParams) -> str:
    """The command line(s) for one step; see :data:`STEPS` for the step names."""
    return STEPS[step](params)


def _apply(p: LabParams, manifest: str) -> str:
    """``kubectl apply`` of a shipped manifest, rendered first when the lesson's values differ from the file's."""
    tag = catalog.WINDOWS_OS_SKUS[p.os_sku].servercore_tag if p.os_sku else "ltsc2022"
    if (p.plugin_namespace, p.gpu_resource_name, tag) == ("gpu-resources", "microsoft.com/directx", "ltsc2022"):
        return f"kubectl apply -f manifests/{manifest}"
    return (f"labkit manifest {manifest} --namespace {p.plugin_namespace} --gpu-resource-name {p.gpu_resource_name} "
            f"--windows-image-tag {tag} | kubectl apply -f -")


def _pool_add(p: LabParams, *, manual: bool) -> str:
    name = p.manual_pool_name if manual else p.pool_name
    parts = [
        f"az aks nodepool add --resource-group {p.resource_group} --cluster-name {p.cluster_name} --name {name}",
        f"--node-count {p.node_count} --os-type Windows" + (f" --os-sku {p.os_sku}" if p.os_sku else "")
        + (f" --kubernetes-version {p.kubernetes_version}" if p.kubernetes_version else "")
        + f" --node-vm-size {p.vm_size}"
        + (" --gpu-driver none" if manual else (f" --driver-type {p.driver_type}" if p.driver_type else ""))
        + (" --enable-fips-image" if p.enable_fips else ""),
        f"--tags {LAB_TAG}={tag_value(manual=manual)}",
    ]
    return " \\\n    ".join(parts)


STEPS = {
    "get_credentials": lambda p: f"az aks get-credentials --resource-group {p.resource_group} --name {p.cluster_name}",
    "show_cluster": lambda p: f"az aks show --resource-group {p.resource_group} --name {p.cluster_name} --query kubernetesVersion -o tsv",
    "preview_extension": lambda p: "az extension add --name aks-preview\naz extension update --name aks-preview",
    "register_feature": lambda p: f"az feature register {_FEATURE}\naz feature show {_FEATURE} --query properties.state -o tsv",
    "register_provider": lambda p: "az provider register --namespace Microsoft.ContainerService",
    "create_pool": lambda p: _pool_add(p, manual=False),
    "create_manual_pool": lambda p: _pool_add(p, manual=True),
    "deploy_plugin": lambda p: (
        f"kubectl create namespace {p.plugin_namespace}\n"
        f"{_apply(p, 'k8s-directx-device-plugin.yaml')}\n"
        f"kubectl rollout status daemonset/nvidia-device-plugin-daemonset -n {p.plugin_namespace}"
    ),
    "show_capacity": lambda p: (
        "kubectl get nodes -l kubernetes.io/os=windows\n"
        "kubectl describe nodes -l kubernetes.io/os=windows | grep -A 8 Capacity"
    ),
    "run_workload": lambda p: (
        f"{_apply(p, 'windows-gpu-workload.yaml')}\n"
        f"kubectl wait --for=condition=complete job/windows-gpu-workload -n {p.plugin_namespace} --timeout={int(p.timeout_minutes)}m\n"
        f"kubectl logs job/windows-gpu-workload -n {p.plugin_namespace}"
    ),
    "cleanup": lambda p: (
        f"kubectl delete jobs windows-gpu-workload -n {p.plugin_namespace}\n"
        f"kubectl delete daemonset nvidia-device-plugin-daemonset -n {p.plugin_namespace}\n"
        f"kubectl delete namespace {p.plugin_namespace}\n"
        f"az aks nodepool delete --resource-group {p.resource_group} --cluster-name {p.cluster_name} --name {p.pool_name}\n"
        f"az aks nodepool delete --resource-group {p.resource_group} --cluster-name {p.cluster_name} --name {p.manual_pool_name}"
    ),
}
