"""The kubelets: pods bound to a Ready node start, run, and (Jobs' pods) complete, logging what their program prints.

A pod gets the next free address of its node's block (Azure CNI hands pods addresses next to their
node's: the real node 10.224.0.62 runs its pod at 10.224.0.63); a hostNetwork pod has the node's.
"""

from __future__ import annotations

import zlib
from typing import Optional

from labkit.sim import aks_node
from labkit.sim.controllers import programs
from labkit.sim.controllers.device_plugins import adapters, is_device_plugin
from labkit.sim.controllers.events import Events
from labkit.sim.controllers.pods import (condition, container_status, extended_requests, internal_ips, node_ready,
                                         set_condition)
from labkit.sim.controllers.timers import Timers
from labkit.sim.store import Obj, rfc3339
from labkit.sim.world import World


class Kubelet:
    """Every node's kubelet at once."""

    def __init__(self, world: World, events: Events, timers: Timers):
        self.world = world
        self.store = world.store
        self.events = events
        self.timers = timers

    def reconcile(self) -> None:
        nodes = {n["metadata"]["name"]: n for n in self.store.iter("Node")}
        for pod in list(self.store.iter("Pod")):
            node = nodes.get(pod["spec"].get("nodeName") or "")
            phase = pod.get("status", {}).get("phase")
            if node is None or not node_ready(node) or phase not in ("Pending", "Running"):
                continue
            uid = pod["metadata"]["uid"]
            if phase == "Pending" and self.timers.elapsed(uid, "starting"):
                self._start_pod(pod, node)
            elif phase == "Running" and pod["spec"].get("restartPolicy") in ("Never", "OnFailure") and self.timers.elapsed(uid, "running"):
                self._complete_pod(pod, node)

    def _start_pod(self, pod: Obj, node: Obj) -> None:
        pod = self.store.get("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
        now = rfc3339()
        host_ip = _internal_ip(node) or "10.224.255.254"
        pod_ip = host_ip if pod["spec"].get("hostNetwork") else self._pod_ip(node, pod)
        pod["status"].update({
            "phase": "Running", "startTime": now, "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
            "podIP": pod_ip, "podIPs": [{"ip": pod_ip}],
            "containerStatuses": [container_status(c, {"running": {"startedAt": now}}, ready=True) for c in pod["spec"]["containers"]],
        })
        for kind in ("PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready", "PodScheduled"):
            set_condition(pod, condition(kind, None, None, now, status="True"))
        self.store.update(pod)
        name = node["metadata"]["name"]
        for container in pod["spec"]["containers"]:
            self.events.record(pod, "Pulled", f'Container image "{container["image"]}" already present on machine', component="kubelet", host=name)
            self.events.record(pod, "Started", f"Started container {container['name']}", component="kubelet", host=name)
        if is_device_plugin(pod):
            image = pod["spec"]["containers"][0]["image"]
            self.store.append_log(pod["metadata"]["namespace"], pod["metadata"]["name"],
                                  programs.plugin_log(node, self.world.config.gpu_resource_name, image, adapters(node)))

    def _pod_ip(self, node: Obj, pod: Obj) -> str:
        offset = aks_node.address_offset(_internal_ip(node) or "")
        if offset is None:  # a node outside the AKS subnet (made by hand): an address from the pod CIDR
            return f"10.244.{zlib.crc32(node['metadata']['name'].encode()) % 250}.{2 + zlib.crc32(pod['metadata']['uid'].encode()) % 250}"
        taken = {p.get("status", {}).get("podIP") for p in self.store.iter("Pod")
                 if p["spec"].get("nodeName") == node["metadata"]["name"] and p.get("status", {}).get("phase") == "Running"}
        step = 1
        while aks_node.subnet_address(offset + step) in taken:
            step += 1
        return aks_node.subnet_address(offset + step)

    def _complete_pod(self, pod: Obj, node: Obj) -> None:
        pod = self.store.get("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
        now = rfc3339()
        started = pod["status"].get("startTime", now)
        pod["status"]["phase"] = "Succeeded"
        pod["status"]["containerStatuses"] = [
            container_status(c, {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": started, "finishedAt": now}}, ready=False)
            for c in pod["spec"]["containers"]
        ]
        for kind in ("Ready", "ContainersReady"):
            set_condition(pod, condition(kind, "PodCompleted", None, now, status="False"))
        self.store.update(pod)
        if extended_requests(pod).get(self.world.config.gpu_resource_name):
            pool = self.world.agent_pools.get(node["metadata"]["labels"].get("agentpool", ""))
            gpu_profile = (pool.properties.get("gpuProfile") if pool else None) or {}
            self.store.append_log(pod["metadata"]["namespace"], pod["metadata"]["name"], programs.workload_log(node, gpu_profile))


def _internal_ip(node: Obj) -> Optional[str]:
    return next(iter(internal_ips(node)), None)
