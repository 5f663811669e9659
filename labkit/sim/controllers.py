"""The simulator's controllers: what AKS and Kubernetes do between the clients' calls.

Every request, and a timer every 50 ms, runs :meth:`Controllers.reconcile`, which moves the world
forward on the compressed clock:

- node lifecycle: agent pools become nodes named and labelled like AKS's (``aks<pool>000000`` for
  Windows), NotReady then Ready while the pool provisions; deleting a pool removes its nodes;
- GPUs: with the driver installed a node advertises the DirectX resource once provisioning ends; with
  the driver skipped, only while a DirectX device plugin pod runs on it (then ``0``, as the kubelet
  reports a resource whose plugin went away);
- the DaemonSet and Job controllers, a scheduler that honours node selectors, taints and extended
  resources (``FailedScheduling`` when nothing fits), the kubelet (pods start, run, complete, log),
  namespace deletion and garbage collection through owner references.
"""

from __future__ import annotations

import copy
import logging
import secrets
import zlib
from typing import Any, Optional

from labkit import catalog
from labkit.sim import defaults, resources
from labkit.sim.store import NotFound, Obj, rfc3339
from labkit.sim.world import World

log = logging.getLogger("labkit.sim.controllers")
_NAMESPACED_KINDS = [r.kind for r in resources.RESOURCES if r.namespaced]

_DEVICE_PLUGIN_IMAGES = ("windows-gpu-device-plugin", "directx-device-plugin")
_WINDOWS_IMAGE = {
    "Windows2019": ("Windows Server 2019 Datacenter", "10.0.17763.6414", "containerd://1.6.35+azure"),
    "Windows2022": ("Windows Server 2022 Datacenter", "10.0.20348.2849", "containerd://1.7.20+azure"),
    "Windows2025": ("Windows Server 2025 Datacenter", "10.0.26100.2314", "containerd://2.0.4+azure"),
}
_LINUX_IMAGE = ("Ubuntu 22.04.5 LTS", "5.15.0-1074-azure", "containerd://1.7.23-1")
#: vCPUs and GiB of the non-GPU sizes the simulated cluster uses for its system pool.
_CPU_SIZES = {"Standard_D4ds_v5": (4, 16), "Standard_D2s_v3": (2, 8), "Standard_DS2_v2": (2, 7)}
_DRIVER_VERSION = {"CUDA": "32.0.15.6094", "GRID": "31.0.15.5222"}
_POD_TOLERATED = {
    "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable", "node.kubernetes.io/unschedulable",
    "node.kubernetes.io/memory-pressure", "node.kubernetes.io/disk-pressure", "node.kubernetes.io/pid-pressure",
}


class Controllers:
    """All controllers, run in order by :meth:`reconcile`."""

    def __init__(self, world: World):
        self.world = world
        self.store = world.store
        self.clock = world.clock
        self._since: dict[tuple[str, str], float] = {}

    def reconcile(self) -> None:
        steps = (
            self.world.advance_arm, self._sync_nodes, self._finish_namespaces, self._collect_garbage,
            self._run_daemonsets, self._run_jobs, self._schedule_pods, self._run_kubelets,
            self._report_jobs, self._report_daemonsets, self._forget_gone,
        )
        for step in steps:
            try:
                step()
            except Exception:  # one odd object (say, a hand-made Node) must not turn every request into a 500
                log.exception("controller step failed; the others go on")

    # --- timing ----------------------------------------------------------------------------------

    def _elapsed(self, uid: str, stage: str, step: str) -> bool:
        """Whether ``step`` has taken its compressed time since ``stage`` began for ``uid``."""
        started = self._since.setdefault((uid, stage), self.clock.now())
        return self.clock.now() >= started + self.clock.seconds(step)

    def _forget_gone(self) -> None:
        """Drop the timers of pods and namespaces that no longer exist, so a long-running simulator stays small."""
        alive = {o["metadata"]["uid"] for kind in ("Pod", "Namespace") for o in self.store.iter(kind)}
        for key in [k for k in self._since if k[0] not in alive]:
            del self._since[key]

    # --- nodes from agent pools ---------------------------------------------------------------------

    def _sync_nodes(self) -> None:
        wanted: dict[str, tuple[Obj, Obj]] = {}  # node name: (the node as its pool makes it, the pool)
        for pool in self.world.agent_pools.list():
            for index in range(pool.node_count()):
                node = self._node_for(pool.resource, index, ready=pool.nodes_ready())
                wanted[node["metadata"]["name"]] = node, pool.resource
        plugin_nodes = self._nodes_running_device_plugin()
        for name, (node, pool) in wanted.items():
            existing = self.store.get("Node", "", name)
            self._advertise_gpu(node, pool, existing, plugin_nodes)
            self._apply_node(node, existing)
            self._renew_lease(node)
        for node in list(self.store.iter("Node")):
            name = node["metadata"]["name"]
            managed = "kubernetes.azure.com/agentpool" in node["metadata"].get("labels", {})
            if managed and name not in wanted:
                self.store.delete("Node", "", name)
                self._delete_quietly("Lease", "kube-node-lease", name)

    def _renew_lease(self, node: Obj) -> None:
        """The kubelet's heartbeat lease, which ``kubectl describe node`` shows; renewed when readiness changes."""
        name = node["metadata"]["name"]
        if self.store.get("Lease", "kube-node-lease", name) is None and self.store.get("Namespace", "", "kube-node-lease"):
            self.store.create({
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": name, "namespace": "kube-node-lease"},
                "spec": {"holderIdentity": name, "leaseDurationSeconds": 40, "renewTime": rfc3339().replace("Z", ".000000Z")},
            })

    def _node_for(self, pool: Obj, index: int, *, ready: bool) -> Obj:
        props, pool_name = pool["properties"], pool["name"]
        windows = props.get("osType", "Linux") == "Windows"
        name = f"aks{pool_name}{index:06d}" if windows else f"aks-{pool_name}-{self._vmss_hash()}-vmss{index:06d}"
        size = catalog.gpu_size(props.get("vmSize", ""))
        vcpus, memory_gib = (size.vcpus, size.memory_gib) if size else _CPU_SIZES.get(props.get("vmSize"), (4, 16))
        os_sku = props.get("osSKU") or ("Windows2022" if windows else "Ubuntu")
        os_image, kernel, runtime = _WINDOWS_IMAGE.get(os_sku, _WINDOWS_IMAGE["Windows2022"]) if windows else _LINUX_IMAGE
        version = "v" + (props.get("currentOrchestratorVersion") or props.get("orchestratorVersion") or self.world.config.kubernetes_version)
        labels = self._node_labels(pool, name, os_sku, windows, size)
        capacity = {"cpu": str(vcpus), "memory": f"{memory_gib * 1024 * 1024}Ki", "pods": "30", "ephemeral-storage": "133156860Ki"}
        allocatable = {
            "cpu": f"{vcpus * 1000 - 140}m", "memory": f"{int(memory_gib * 1024 * 1024 * 0.8)}Ki", "pods": "30",
            "ephemeral-storage": "122713473101",
        }
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name, "labels": labels, "annotations": {"node.alpha.kubernetes.io/ttl": "0"}},
            "spec": {
                "providerID": (
                    f"azure://{self.world.subscription_path}/resourceGroups/{self.world.node_resource_group.lower()}"
                    f"/providers/Microsoft.Compute/virtualMachineScaleSets/aks{pool_name}/virtualMachines/{index}"
                ),
                "taints": [_taint(t) for t in props.get("nodeTaints") or []],
                "unschedulable": props.get("provisioningState") == "Deleting",
            },
            "status": {
                "capacity": capacity,
                "allocatable": allocatable,
                "conditions": _node_conditions(ready),
                "addresses": [{"type": "InternalIP", "address": self._node_ip(name)}, {"type": "Hostname", "address": name}],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": {
                    "machineID": name, "systemUUID": _stable_uuid(name), "bootID": _stable_uuid(name + "boot"),
                    "kernelVersion": kernel, "osImage": os_image, "containerRuntimeVersion": runtime,
                    "kubeletVersion": version, "kubeProxyVersion": version,
                    "operatingSystem": "windows" if windows else "linux", "architecture": "amd64",
                },
            },
        }

    def _node_labels(self, pool: Obj, name: str, os_sku: str, windows: bool, size: Optional[catalog.GpuSize]) -> dict[str, str]:
        props, pool_name = pool["properties"], pool["name"]
        os_name = "windows" if windows else "linux"
        labels = {
            "agentpool": pool_name,
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/instance-type": props.get("vmSize", ""),
            "beta.kubernetes.io/os": os_name,
            "kubernetes.azure.com/agentpool": pool_name,
            "kubernetes.azure.com/cluster": self.world.node_resource_group,
            "kubernetes.azure.com/mode": str(props.get("mode", "User")).lower(),
            "kubernetes.azure.com/os-sku": os_sku,
            "kubernetes.azure.com/role": "agent",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": os_name,
            "kubernetes.io/role": "agent",
            "node-role.kubernetes.io/agent": "",
            "node.kubernetes.io/instance-type": props.get("vmSize", ""),
            "topology.kubernetes.io/region": self.world.config.location,
            "topology.kubernetes.io/zone": "0",
        }
        if windows:
            labels["node.kubernetes.io/windows-build"] = catalog.WINDOWS_OS_SKUS.get(os_sku, catalog.WINDOWS_OS_SKUS["Windows2022"]).build
        if size is not None and size.family.vendor == "NVIDIA":
            labels["accelerator"] = labels["kubernetes.azure.com/accelerator"] = "nvidia"
        labels.update(props.get("nodeLabels") or {})
        return labels

    def _advertise_gpu(self, node: Obj, pool: Obj, existing: Optional[Obj], plugin_nodes: set[str]) -> None:
        """Set the DirectX resource on a GPU node, the way the driver install or the plugin makes it appear."""
        size = catalog.gpu_size(node["metadata"]["labels"]["node.kubernetes.io/instance-type"])
        if size is None or size.family.vendor != "NVIDIA" or node["status"]["nodeInfo"]["operatingSystem"] != "windows":
            return
        resource = self.world.config.gpu_resource_name
        name = node["metadata"]["name"]
        driver = (pool["properties"].get("gpuProfile") or {}).get("driver", "Install")
        provisioned = pool["properties"].get("provisioningState") in ("Succeeded", "Updating")
        had_gpu = existing is not None and resource in existing["status"].get("capacity", {})
        if driver == "Install" and provisioned:
            count = str(size.directx_devices)
        elif driver == "None" and name in plugin_nodes:
            count = str(size.directx_devices)
        elif driver == "None" and had_gpu:
            count = "0"
        else:
            return
        node["status"]["capacity"][resource] = count
        node["status"]["allocatable"][resource] = count

    def _nodes_running_device_plugin(self) -> set[str]:
        return {
            pod["spec"].get("nodeName")
            for pod in self.store.iter("Pod")
            if pod.get("status", {}).get("phase") == "Running" and _is_device_plugin(pod)
        }

    def _apply_node(self, wanted: Obj, existing: Optional[Obj]) -> None:
        name = wanted["metadata"]["name"]
        if existing is None:
            self.store.create(wanted)
            return
        existing["metadata"]["labels"] = {**existing["metadata"].get("labels", {}), **wanted["metadata"]["labels"]}
        existing["spec"]["unschedulable"] = wanted["spec"]["unschedulable"]
        status = existing["status"]
        was_ready = _node_ready(existing)
        status["capacity"], status["allocatable"] = wanted["status"]["capacity"], wanted["status"]["allocatable"]
        status["nodeInfo"] = wanted["status"]["nodeInfo"]
        if was_ready != _node_ready(wanted):
            status["conditions"] = wanted["status"]["conditions"]
            if _node_ready(wanted):
                self._event(existing, "NodeReady", f"Node {name} status is now: NodeReady", component="kubelet")
        self.store.update(existing)

    def _vmss_hash(self) -> str:
        return f"{zlib.crc32(self.world.cluster_id.lower().encode()) % 100_000_000:08d}"

    def _node_ip(self, name: str) -> str:
        return f"10.224.0.{4 + zlib.crc32(name.encode()) % 250}"

    # --- namespaces and garbage ---------------------------------------------------------------------

    def _finish_namespaces(self) -> None:
        for ns in list(self.store.iter("Namespace")):
            if not ns["metadata"].get("deletionTimestamp"):
                continue
            name = ns["metadata"]["name"]
            for kind in _NAMESPACED_KINDS:
                for obj in self.store.list(kind, name):
                    self.store.delete(kind, name, obj["metadata"]["name"])
            if self._elapsed(ns["metadata"]["uid"], "terminating", "namespace_delete"):
                self.store.delete("Namespace", "", name)

    def _collect_garbage(self) -> None:
        owners = {o["metadata"]["uid"] for kind in ("DaemonSet", "Job") for o in self.store.iter(kind)}
        nodes = {n["metadata"]["name"] for n in self.store.iter("Node")}
        for pod in list(self.store.iter("Pod")):
            refs = pod["metadata"].get("ownerReferences") or []
            orphan = any(r.get("controller") and r["uid"] not in owners for r in refs)
            node_gone = pod["spec"].get("nodeName") and pod["spec"]["nodeName"] not in nodes
            if orphan or node_gone:
                self._delete_quietly("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])

    def _delete_quietly(self, kind: str, namespace: str, name: str) -> None:
        try:
            self.store.delete(kind, namespace, name)
        except NotFound:
            pass

    # --- DaemonSets ----------------------------------------------------------------------------------

    def _run_daemonsets(self) -> None:
        nodes = list(self.store.iter("Node"))
        for ds in list(self.store.iter("DaemonSet")):
            template = ds["spec"]["template"]
            generation = str(ds["metadata"].get("generation", 1))
            eligible = {n["metadata"]["name"] for n in nodes if _daemon_fits(template["spec"], n)}
            placed: set[str] = set()
            for pod in self._owned_pods(ds):
                node = pod["spec"].get("nodeName")
                stale = pod["metadata"].get("labels", {}).get("pod-template-generation") != generation
                if node not in eligible or node in placed or stale:
                    self._delete_quietly("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
                else:
                    placed.add(node)
            for node in sorted(eligible - placed):
                pod = self._pod_from_template(ds, "DaemonSet", "apps/v1", {"pod-template-generation": generation})
                pod["spec"]["nodeName"] = node
                created = self.store.create(pod)
                self._event(ds, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}", component="daemonset-controller")
                self._event(created, "Scheduled", f"Successfully assigned {created['metadata']['namespace']}/{created['metadata']['name']} to {node}", component="default-scheduler")

    def _report_daemonsets(self) -> None:
        nodes = list(self.store.iter("Node"))
        for stored in list(self.store.iter("DaemonSet")):
            ds = self.store.get("DaemonSet", stored["metadata"]["namespace"], stored["metadata"]["name"])
            eligible = {n["metadata"]["name"] for n in nodes if _daemon_fits(ds["spec"]["template"]["spec"], n)}
            pods = [p for p in self._owned_pods(ds) if p["spec"].get("nodeName") in eligible]
            ready = sum(1 for p in pods if _pod_ready(p))
            status = {
                "currentNumberScheduled": len(pods),
                "desiredNumberScheduled": len(eligible),
                "numberMisscheduled": 0,
                "numberReady": ready,
                "numberAvailable": ready,
                "updatedNumberScheduled": len(pods),
                "observedGeneration": ds["metadata"].get("generation", 1),
            }
            if len(eligible) > ready:
                status["numberUnavailable"] = len(eligible) - ready
            if ds.get("status") != status:
                ds["status"] = status
                self.store.update(ds)

    # --- Jobs ----------------------------------------------------------------------------------------

    def _run_jobs(self) -> None:
        for job in list(self.store.iter("Job")):
            if _job_finished(job):
                continue
            pods = self._owned_pods(job)
            active = [p for p in pods if p["status"].get("phase") in ("Pending", "Running")]
            succeeded = sum(1 for p in pods if p["status"].get("phase") == "Succeeded")
            failed = sum(1 for p in pods if p["status"].get("phase") == "Failed")
            wanted = job["spec"].get("completions", 1) - succeeded
            if active or wanted <= 0 or failed > job["spec"].get("backoffLimit", 6):
                continue
            pod = self._pod_from_template(job, "Job", "batch/v1", {})
            created = self.store.create(pod)
            self._event(job, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}", component="job-controller")

    def _report_jobs(self) -> None:
        for stored in list(self.store.iter("Job")):
            if _job_finished(stored):
                continue
            job = self.store.get("Job", stored["metadata"]["namespace"], stored["metadata"]["name"])
            pods = self._owned_pods(job)
            status = dict(job.get("status") or {})
            phases = [p["status"].get("phase") for p in pods]
            active = sum(1 for ph in phases if ph in ("Pending", "Running"))
            succeeded, failed = phases.count("Succeeded"), phases.count("Failed")
            if pods and "startTime" not in status:
                status["startTime"] = rfc3339()
            status.update({"active": active, "ready": sum(1 for p in pods if _pod_ready(p)), "terminating": 0, "uncountedTerminatedPods": {}})
            for key, value in (("succeeded", succeeded), ("failed", failed)):
                if value:
                    status[key] = value
            if active == 0:
                status.pop("active")
            now = rfc3339()
            if succeeded >= job["spec"].get("completions", 1):
                status["completionTime"] = now
                status["conditions"] = [_condition("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods", now),
                                        _condition("Complete", "CompletionsReached", "Reached expected number of succeeded pods", now)]
                self._event(job, "Completed", "Job completed", component="job-controller")
            elif failed > job["spec"].get("backoffLimit", 6):
                status["conditions"] = [_condition("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit", now),
                                        _condition("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit", now)]
                self._event(job, "BackoffLimitExceeded", "Job has reached the specified backoff limit", kind="Warning", component="job-controller")
            if status != job.get("status"):
                job["status"] = status
                self.store.update(job)

    # --- pods: creation, scheduling, kubelet -----------------------------------------------------

    def _owned_pods(self, owner: Obj) -> list[Obj]:
        uid, namespace = owner["metadata"]["uid"], owner["metadata"]["namespace"]
        return [
            p for p in self.store.list("Pod", namespace)
            if any(r.get("uid") == uid for r in p["metadata"].get("ownerReferences") or [])
        ]

    def _pod_from_template(self, owner: Obj, kind: str, api_version: str, extra_labels: dict[str, str]) -> Obj:
        template = owner["spec"]["template"]
        name = owner["metadata"]["name"]
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": f"{name}-{_suffix()}",
                "namespace": owner["metadata"]["namespace"],
                "labels": {**template.get("metadata", {}).get("labels", {}), **extra_labels},
                "annotations": dict(template.get("metadata", {}).get("annotations", {})),
                "ownerReferences": [{"apiVersion": api_version, "kind": kind, "name": name, "uid": owner["metadata"]["uid"],
                                     "controller": True, "blockOwnerDeletion": True}],
            },
            "spec": copy.deepcopy(template["spec"]),
        }
        return defaults.apply(defaults.for_create(pod))  # what the apiserver's admission would add

    def _schedule_pods(self) -> None:
        pending = [p for p in self.store.iter("Pod") if not p["spec"].get("nodeName") and p.get("status", {}).get("phase", "Pending") == "Pending"]
        if not pending:
            return
        nodes = list(self.store.iter("Node"))
        for pod in pending:
            reasons: dict[str, int] = {}
            fitting = [n for n in nodes if self._fits(pod, n, reasons)]
            pod = self.store.get("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
            if fitting:
                node = min(fitting, key=lambda n: (self._pods_on(n["metadata"]["name"]), n["metadata"]["name"]))["metadata"]["name"]
                pod["spec"]["nodeName"] = node
                _set_condition(pod, _condition("PodScheduled", None, None, rfc3339(), status="True"))
                self.store.update(pod)
                self._event(pod, "Scheduled", f"Successfully assigned {pod['metadata']['namespace']}/{pod['metadata']['name']} to {node}", component="default-scheduler")
            else:
                detail = ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
                message = f"0/{len(nodes)} nodes are available: {detail}." if nodes else "no nodes available to schedule pods"
                if _set_condition(pod, _condition("PodScheduled", "Unschedulable", message, rfc3339(), status="False")):
                    self.store.update(pod)
                    self._event(pod, "FailedScheduling", message, kind="Warning", component="default-scheduler")

    def _fits(self, pod: Obj, node: Obj, reasons: dict[str, int]) -> bool:
        def no(reason: str) -> bool:
            reasons[reason] = reasons.get(reason, 0) + 1
            return False

        labels = node["metadata"].get("labels", {})
        if not _node_ready(node):
            return no("node(s) had untolerated taint {node.kubernetes.io/not-ready: }")
        if node["spec"].get("unschedulable"):
            return no("node(s) were unschedulable")
        selector = pod["spec"].get("nodeSelector") or {}
        if any(labels.get(k) != v for k, v in selector.items()):
            return no("node(s) didn't match Pod's node affinity/selector")
        taint = _untolerated_taint(pod["spec"].get("tolerations") or [], node["spec"].get("taints") or [])
        if taint:
            return no(f"node(s) had untolerated taint {{{taint['key']}: {taint.get('value', '')}}}")
        for resource, amount in _extended_requests(pod).items():
            free = _quantity(node["status"].get("allocatable", {}).get(resource, "0")) - self._used(node["metadata"]["name"], resource)
            if free < amount:
                return no(f"Insufficient {resource}")
        return True

    def _pods_on(self, node: str) -> int:
        return sum(1 for p in self.store.iter("Pod") if p["spec"].get("nodeName") == node)

    def _used(self, node: str, resource: str) -> int:
        return sum(
            _extended_requests(p).get(resource, 0)
            for p in self.store.iter("Pod")
            if p["spec"].get("nodeName") == node and p.get("status", {}).get("phase") in ("Pending", "Running")
        )

    def _run_kubelets(self) -> None:
        nodes = {n["metadata"]["name"]: n for n in self.store.iter("Node")}
        for pod in list(self.store.iter("Pod")):
            node = nodes.get(pod["spec"].get("nodeName") or "")
            phase = pod.get("status", {}).get("phase")
            if node is None or not _node_ready(node) or phase not in ("Pending", "Running"):
                continue
            uid = pod["metadata"]["uid"]
            if phase == "Pending" and self._elapsed(uid, "starting", "container_start"):
                self._start_pod(pod, node)
            elif phase == "Running" and pod["spec"].get("restartPolicy") in ("Never", "OnFailure") and self._elapsed(uid, "running", "job_run"):
                self._complete_pod(pod, node)

    def _start_pod(self, pod: Obj, node: Obj) -> None:
        pod = self.store.get("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
        now = rfc3339()
        node_ip = next((a["address"] for a in node["status"].get("addresses", []) if a.get("type") == "InternalIP"), self._node_ip(node["metadata"]["name"]))
        pod_ip = f"10.244.{zlib.crc32(node['metadata']['name'].encode()) % 250}.{2 + zlib.crc32(pod['metadata']['uid'].encode()) % 250}"
        pod["status"].update({
            "phase": "Running", "startTime": now, "hostIP": node_ip, "hostIPs": [{"ip": node_ip}],
            "podIP": pod_ip, "podIPs": [{"ip": pod_ip}],
            "containerStatuses": [_container_status(c, {"running": {"startedAt": now}}, ready=True) for c in pod["spec"]["containers"]],
        })
        for kind in ("PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready", "PodScheduled"):
            _set_condition(pod, _condition(kind, None, None, now, status="True"))
        self.store.update(pod)
        for container in pod["spec"]["containers"]:
            self._event(pod, "Pulled", f'Container image "{container["image"]}" already present on machine', component="kubelet")
            self._event(pod, "Started", f"Started container {container['name']}", component="kubelet")
        if _is_device_plugin(pod):
            self.store.append_log(pod["metadata"]["namespace"], pod["metadata"]["name"], self._plugin_log(node))

    def _complete_pod(self, pod: Obj, node: Obj) -> None:
        pod = self.store.get("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
        now = rfc3339()
        started = pod["status"].get("startTime", now)
        pod["status"]["phase"] = "Succeeded"
        pod["status"]["containerStatuses"] = [
            _container_status(c, {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": started, "finishedAt": now}}, ready=False)
            for c in pod["spec"]["containers"]
        ]
        for kind in ("Ready", "ContainersReady"):
            _set_condition(pod, _condition(kind, "PodCompleted", None, now, status="False"))
        self.store.update(pod)
        if _extended_requests(pod).get(self.world.config.gpu_resource_name):
            self.store.append_log(pod["metadata"]["namespace"], pod["metadata"]["name"], self._workload_log(node))

    def _plugin_log(self, node: Obj) -> str:
        size = catalog.gpu_size(node["metadata"]["labels"].get("node.kubernetes.io/instance-type", ""))
        resource = self.world.config.gpu_resource_name
        if size is None:
            return "DirectX device plugin 0.0.17 starting\nfound 0 DirectX GPU adapter(s); nothing to register\n"
        return (
            "DirectX device plugin 0.0.17 starting\n"
            f"found {size.directx_devices} DirectX GPU adapter(s): NVIDIA {size.family.gpu_model}\n"
            f"registered resource {resource} with the kubelet ({size.directx_devices} device(s))\n"
        )

    def _workload_log(self, node: Obj) -> str:
        labels = node["metadata"]["labels"]
        size = catalog.gpu_size(labels.get("node.kubernetes.io/instance-type", ""))
        pool = self.world.agent_pools.get(labels.get("agentpool", ""))
        gpu = (pool.properties.get("gpuProfile") if pool else None) or {}
        if gpu.get("driver", "Install") == "None":
            driver = "(none from AKS: gpu_driver=None)"
        else:
            driver_type = gpu.get("driverType") or (size.default_driver_type if size else "CUDA")
            driver = f"{_DRIVER_VERSION.get(driver_type, '')} ({driver_type})"
        model = f"NVIDIA {size.family.gpu_model}" if size else "Microsoft Basic Display Adapter"
        memory = (size.gpu_memory_gb // max(1, int(size.gpus)) if size else 0) * 1024 ** 3
        return (
            f"\nName          : {model}\n"
            f"DriverVersion : {driver}\n"
            f"AdapterRAM    : {min(memory, 4293918720)}\n"
            f"\nNode          : {node['metadata']['name']} ({labels.get('node.kubernetes.io/instance-type')})\n"
        )

    # --- events --------------------------------------------------------------------------------------

    def _event(self, obj: Obj, reason: str, message: str, *, kind: str = "Normal", component: str) -> None:
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        now = rfc3339()
        self.store.create({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{meta['name']}.{secrets.token_hex(8)}", "namespace": namespace},
            "involvedObject": {
                "apiVersion": obj.get("apiVersion"), "kind": obj["kind"], "name": meta["name"],
                "namespace": meta.get("namespace", ""), "uid": meta.get("uid"), "resourceVersion": meta.get("resourceVersion"),
            },
            "reason": reason, "message": message, "type": kind, "count": 1,
            "firstTimestamp": now, "lastTimestamp": now,
            "source": {"component": component},
            "reportingComponent": component, "reportingInstance": "",
        })


# --- pure helpers -----------------------------------------------------------------------------------


def _suffix() -> str:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    return "".join(secrets.choice(alphabet) for _ in range(5))


def _stable_uuid(seed: str) -> str:
    digits = f"{zlib.crc32(seed.encode()):08x}{zlib.crc32(seed[::-1].encode()):08x}" * 2
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:32]}"


def _taint(text: str) -> dict[str, str]:
    key_value, _, effect = text.partition(":")
    key, _, value = key_value.partition("=")
    taint = {"key": key, "effect": effect}
    if value:
        taint["value"] = value
    return taint


def _node_conditions(ready: bool) -> list[dict[str, Any]]:
    now = rfc3339()
    pressure = [
        {"type": kind, "status": "False", "reason": f"KubeletHas{reason}", "message": f"kubelet has {text}",
         "lastHeartbeatTime": now, "lastTransitionTime": now}
        for kind, reason, text in (
            ("MemoryPressure", "SufficientMemory", "sufficient memory available"),
            ("DiskPressure", "NoDiskPressure", "no disk pressure"),
            ("PIDPressure", "SufficientPID", "sufficient PID available"),
        )
    ]
    ready_condition = {
        "type": "Ready", "status": "True" if ready else "False",
        "reason": "KubeletReady" if ready else "KubeletNotReady",
        "message": "kubelet is posting ready status" if ready else "container runtime is starting",
        "lastHeartbeatTime": now, "lastTransitionTime": now,
    }
    return pressure + [ready_condition]


def _node_ready(node: Obj) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in node.get("status", {}).get("conditions", []))


def _pod_ready(pod: Obj) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions", []))


def _is_device_plugin(pod: Obj) -> bool:
    return any(marker in c.get("image", "") for c in pod["spec"].get("containers", []) for marker in _DEVICE_PLUGIN_IMAGES)


def _job_finished(job: Obj) -> bool:
    return any(c["type"] in ("Complete", "Failed") and c["status"] == "True" for c in (job.get("status") or {}).get("conditions", []))


def _daemon_fits(pod_spec: Obj, node: Obj) -> bool:
    labels = node["metadata"].get("labels", {})
    if any(labels.get(k) != v for k, v in (pod_spec.get("nodeSelector") or {}).items()):
        return False
    tolerations = (pod_spec.get("tolerations") or []) + [{"key": k, "operator": "Exists"} for k in _POD_TOLERATED]
    return _untolerated_taint(tolerations, node["spec"].get("taints") or []) is None


def _untolerated_taint(tolerations: list[Obj], taints: list[Obj]) -> Optional[Obj]:
    for taint in taints:
        if taint.get("effect") not in ("NoSchedule", "NoExecute"):
            continue
        if not any(_tolerates(t, taint) for t in tolerations):
            return taint
    return None


def _tolerates(toleration: Obj, taint: Obj) -> bool:
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    if not toleration.get("key"):
        return toleration.get("operator") == "Exists"
    if toleration["key"] != taint.get("key"):
        return False
    if toleration.get("operator", "Equal") == "Exists":
        return True
    return toleration.get("value", "") == taint.get("value", "")


def _extended_requests(pod: Obj) -> dict[str, int]:
    """Requests of resources with a domain (extended resources); limits count as requests for them."""
    totals: dict[str, int] = {}
    for container in pod["spec"].get("containers", []):
        resources = container.get("resources") or {}
        merged = {**(resources.get("limits") or {}), **(resources.get("requests") or {})}
        for name, amount in merged.items():
            if "/" in name:
                totals[name] = totals.get(name, 0) + _quantity(amount)
    return totals


def _quantity(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def _condition(kind: str, reason: Optional[str], message: Optional[str], now: str, *, status: str = "True") -> Obj:
    condition = {"type": kind, "status": status, "lastProbeTime": None, "lastTransitionTime": now}
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    return condition


def _set_condition(obj: Obj, condition: Obj) -> bool:
    """Put a condition in place of the one of its type; False when nothing but timestamps would change."""
    conditions = obj.setdefault("status", {}).setdefault("conditions", [])
    for i, old in enumerate(conditions):
        if old["type"] == condition["type"]:
            if all(old.get(k) == condition.get(k) for k in ("status", "reason", "message")):
                return False
            conditions[i] = condition
            return True
    conditions.append(condition)
    return True


def _container_status(container: Obj, state: Obj, *, ready: bool) -> Obj:
    return {
        "name": container["name"], "image": container["image"],
        "imageID": f"{container['image'].split(':')[0]}@sha256:{zlib.crc32(container['image'].encode()):064x}",
        "containerID": f"containerd://{secrets.token_hex(32)}",
        "ready": ready, "started": "running" in state, "restartCount": 0, "state": state,
    }
