"""The simulated world: its settings, its clock, and the cluster it starts with."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Optional

from labkit import catalog
from labkit.files import create_private, write_private
from labkit.sim.arm.agent_pools import AgentPools
from labkit.sim.arm.clusters import Clusters
from labkit.sim.arm.ids import ArmIds
from labkit.sim.arm.operations import Operations
from labkit.sim.arm.records import Records
from labkit.sim.arm.compute import Compute, default_vcpu_quota
from labkit.sim.arm.registrations import Registrations
from labkit.sim.arm.subscriptions import Subscriptions
from labkit.sim.entra.directory import Directory
from labkit.sim.faults import Faults
from labkit.sim.store import Store

#: How long Azure and Kubernetes take, in the real world's seconds; the clock compresses them.
DURATIONS = {
    "feature_registration": 300.0,
    "provider_registration": 60.0,
    "pool_create": 420.0,
    "pool_delete": 240.0,
    "container_start": 30.0,
    "job_run": 30.0,
    "namespace_delete": 10.0,
    # The kubelet drops a device plugin's resource this long after the plugin went (endpointStopGracePeriod,
    # kubernetes pkg/kubelet/cm/devicemanager/endpoint.go).
    "device_plugin_stop_grace": 300.0,
}

#: The real seconds one Azure second takes by default: ten Azure minutes pass in one second.
DEFAULT_TIME_SCALE = 1 / 600


@dataclass
class SimConfig:
    """What the simulated subscription and cluster look like; saved in ``config.json``."""

    subscription_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    #: The Entra tenant the subscription belongs to, whose stand-in signs the ARM plane's access tokens.
    tenant_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    resource_group: str = "myResourceGroup"
    cluster_name: str = "myAKSCluster"
    location: str = "eastus"
    kubernetes_version: str = "1.33.2"
    gpu_resource_name: str = catalog.DIRECTX_RESOURCE
    #: vCPU limits by quota family (Compute usages names), "cores" for the region's total.
    vcpu_quota: dict[str, int] = field(default_factory=default_vcpu_quota)
    time_scale: float = DEFAULT_TIME_SCALE

    @classmethod
    def load_or_create(cls, state_dir: Path, **overrides: Any) -> "SimConfig":
        """The saved settings with ``overrides`` (those not None) applied, saved again.

        Servers starting at once on a new directory share the first one's subscription id.
        """
        path = state_dir / "config.json"
        saved = json.loads(create_private(path, _config_json(cls())))
        known = {f.name for f in fields(cls)}  # settings an older labkit saved and this one dropped are left out
        config = cls(**{k: v for k, v in {**saved, **overrides}.items() if k in known and v is not None})
        write_private(path, _config_json(config))
        return config


def _config_json(config: SimConfig) -> bytes:
    return json.dumps(asdict(config), indent=2).encode()


class Clock:
    """Compressed time: ``seconds(name)`` is how long a named Azure/Kubernetes step takes here."""

    def __init__(self, time_scale: float):
        self.time_scale = time_scale

    @staticmethod
    def now() -> float:
        return time.time()

    def seconds(self, step: str) -> float:
        return DURATIONS[step] * self.time_scale

    def due(self, since: float, step: str) -> bool:
        """Whether ``step``, begun at ``since``, has finished by now."""
        return self.now() >= since + self.seconds(step)


class World:
    """Everything the planes and controllers share: settings, clock, store, and the ARM plane's models."""

    def __init__(self, state_dir: Path, config: SimConfig):
        self.state_dir = state_dir
        self.config = config
        self.store = Store(state_dir / "state.db")
        self.clock = Clock(config.time_scale)
        self.token = ensure_token(state_dir)
        self.directory = Directory(state_dir, config.tenant_id)
        self.subscriptions = Subscriptions(config)
        self.ids = ArmIds(config)
        self.faults = Faults(state_dir)
        #: ARM requests answered, by method and resource type (what tests and benchmarks count per step).
        self.arm_requests: Counter[tuple[str, str]] = Counter()
        records = Records(self.store)
        self.registrations = Registrations(records, self.clock, self.ids, self.faults)
        self.operations = Operations(records, self.clock, self.ids)
        self.compute = Compute(config.location, lambda: {**config.vcpu_quota, **self.faults.quota_limits()},
                               lambda: [pool.properties for pool in self.agent_pools.list()])
        self.agent_pools = AgentPools(records, self.clock, self.ids, self.registrations, self.operations, self.compute,
                                      self.faults)
        self.clusters = Clusters(records, self.ids, self.agent_pools, self.faults, ca_file=state_dir / "ca.pem",
                                 token=self.token)

    def seed_arm(self) -> None:
        """Create the subscription's starting resources, leaving any that already exist as they are."""
        for model in (self.clusters, self.agent_pools, self.registrations):
            model.seed()

    def advance_arm(self) -> None:
        """Finish every registration and pool operation whose simulated duration has passed."""
        self.registrations.advance()
        self.agent_pools.advance()

    @property
    def subscription_path(self) -> str:
        return self.ids.subscription

    @property
    def cluster_id(self) -> str:
        return self.ids.cluster_id

    @property
    def node_resource_group(self) -> str:
        return self.clusters.node_resource_group


def ensure_token(state_dir: Path) -> str:
    """The Kubernetes plane's bearer token (an AKS local account's), minted on first use; every caller gets the same
    one. The ARM plane takes access tokens from the simulator's Entra stand-in instead."""
    return create_private(state_dir / "token", secrets.token_urlsafe(32).encode()).decode().strip()


def read_token(state_dir: Path) -> Optional[str]:
    path = state_dir / "token"
    return path.read_text().strip() if path.exists() else None


def kubeconfig_yaml(config: SimConfig, server_url: str, ca_pem: bytes, token: str) -> str:
    """A kubeconfig shaped like ``az aks get-credentials`` writes for a cluster user."""
    import base64

    import yaml

    user = f"clusterUser_{config.resource_group}_{config.cluster_name}"
    return yaml.safe_dump({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": config.cluster_name, "cluster": {
            "certificate-authority-data": base64.b64encode(ca_pem).decode(), "server": server_url,
        }}],
        "contexts": [{"name": config.cluster_name, "context": {"cluster": config.cluster_name, "user": user}}],
        "current-context": config.cluster_name,
        "preferences": {},
        "users": [{"name": user, "user": {"token": token}}],
    }, sort_keys=False)
